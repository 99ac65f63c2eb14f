// Readiness (/readyz) against real failures: PostgreSQL and Redis behind a TCP proxy that is cut (connections
// reset, new ones refused) or hung (a black hole), a database missing a migration, an instance draining.
// Each failure is a 503 naming the failing check, answered within the check timeout; when the failure ends,
// 200 again. PostgreSQL cases run when DATABASE_URL is set (CI runs this file on both databases); Redis cases
// need Redis at redis://127.0.0.1:6379 (or REDIS_TEST_URL): skipped without it, saying so, and failing in CI.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as sdk from '@platform/client';
import type { ReadinessStatus } from '@platform/client';
import { startTestServer, watchClient, type ConfigOverrides } from '../../helpers/server.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import { databaseSettings } from '../../helpers/database.js';
import { REDIS_URL, redisAnswers } from '../../helpers/redis.js';

const TIMEOUT_MS = 500;
const CI = process.env.CI === 'true';
const postgres = Boolean(process.env.DATABASE_URL);

const redisAvailable = await redisAnswers();

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

interface Probe {
  status: number;
  body: ReadinessStatus;
  ms: number;
}

async function server(overrides: ConfigOverrides = {}) {
  const started = await startTestServer({ readinessTimeoutMs: TIMEOUT_MS, ...overrides });
  stops.push(started.stop);
  const client = sdk.createPlatformClient({ baseUrl: started.baseUrl });
  watchClient(client); // every answer is checked against the contract
  const readyz = async (): Promise<Probe> => {
    const at = performance.now();
    // A probe answers once: no retry of the 503 (the client retries 503s of GET calls by default).
    const { data, error, response } = await sdk.getReadiness({ client, retry: false });
    return { status: response!.status, body: (data ?? error) as ReadinessStatus, ms: performance.now() - at };
  };
  /** Probes until `status` is answered (as a balancer's next probes would), within `ms`. */
  const until = async (status: number, ms = 15_000): Promise<Probe> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const probe = await readyz();
      if (probe.status === status || Date.now() > deadline) return probe;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { ...started, client, readyz, until };
}

const failing = (probe: Probe) =>
  Object.entries(probe.body.checks)
    .filter(([, state]) => state === 'failing')
    .map(([name]) => name)
    .sort();
const detail = (probe: Probe, name: string) => probe.body.details?.find((d) => d.name === name)?.detail;

describe('readiness', () => {
  it('is ready when every check is ok, and lists each with what it found', async () => {
    const s = await server();
    const probe = await s.readyz();
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', eventBus: 'ok', shutdown: 'ok' },
    });
    expect(probe.body.checks).not.toHaveProperty('redis'); // not configured
    expect(probe.body.details?.map((d) => [d.name, d.status])).toEqual([
      ['database', 'ok'],
      ['migrations', 'ok'],
      ['eventBus', 'ok'],
      ['shutdown', 'ok'],
    ]);
    expect(detail(probe, 'migrations')).toMatch(/^all \d+ migrations applied$/);
    expect(detail(probe, 'shutdown')).toBe('serving');
  });

  it('is not ready while a migration is missing from the database, naming it; ready once it is back', async () => {
    const s = await server();
    const { knex } = s.platform.database;
    const table = s.config.databaseSchema ? `${s.config.databaseSchema}.knex_migrations` : 'knex_migrations';
    const newest = await knex(table).orderBy('name', 'desc').first<{ id: number; name: string }>();
    await knex(table).where('id', newest.id).delete();
    const probe = await s.readyz();
    expect(probe.status).toBe(503);
    expect(failing(probe)).toEqual(['migrations']);
    expect(detail(probe, 'migrations')).toMatch(new RegExp(`^1 of \\d+ migrations not applied: ${newest.name}$`));
    await knex(table).insert(newest);
    expect((await s.readyz()).status).toBe(200);
  });

  it('answers 503 from the first phase of a stop on (draining), naming the phase', async () => {
    const s = await server();
    let finish!: () => void;
    const requestsFinished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const stopping = s.platform.shutdown.run(
      { 'finish-requests': () => requestsFinished },
      pino({ level: 'silent' }),
      'SIGTERM',
    );
    const probe = await s.readyz();
    expect(probe.status).toBe(503);
    expect(failing(probe)).toEqual(['shutdown']);
    expect(detail(probe, 'shutdown')).toBe('draining (SIGTERM): phase finish-requests');
    finish();
    expect(await stopping).toMatchObject({ failed: [] });
    expect(detail(await s.readyz(), 'shutdown')).toBe('draining (SIGTERM): phase stopped');
  });

  describe.skipIf(!postgres)('PostgreSQL behind a TCP proxy (DATABASE_URL)', () => {
    async function proxied() {
      const { settings, cleanup } = await databaseSettings();
      stops.push(cleanup);
      const url = new URL(settings.databaseUrl!);
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      stops.push(() => proxy.close());
      const s = await server({ ...settings, databaseUrl: proxy.via(settings.databaseUrl!) });
      expect((await s.readyz()).status).toBe(200);
      return { s, proxy };
    }

    it('cut: 503 naming the database, its migrations and the event bus, at once; restored: 200', async () => {
      const { s, proxy } = await proxied();
      proxy.cut();
      const probe = await s.until(503);
      expect(probe.status).toBe(503);
      expect(failing(probe)).toEqual(['database', 'eventBus', 'migrations']);
      expect(probe.ms).toBeLessThan(TIMEOUT_MS + 1000);
      expect(detail(probe, 'eventBus')).toMatch(/^not listening|^failed \(/);
      expect((await sdk.getHealth({ client: s.client })).response?.status).toBe(200); // liveness stays up
      proxy.restore();
      const back = await s.until(200);
      expect(back.status, JSON.stringify(back.body)).toBe(200);
    });

    it('hung (a black hole): 503 within the check timeout, not a hanging probe; restored: 200', async () => {
      const { s, proxy } = await proxied();
      proxy.hang();
      const probe = await s.readyz();
      expect(probe.status).toBe(503);
      expect(failing(probe)).toEqual(['database', 'eventBus', 'migrations']);
      expect(detail(probe, 'database')).toBe(`no answer within ${TIMEOUT_MS} ms`);
      expect(probe.ms).toBeLessThan(TIMEOUT_MS + 1000);
      // The next probe does not pile another query on the hung one: it waits on the same, bounded anew.
      const again = await s.readyz();
      expect(again.ms).toBeLessThan(TIMEOUT_MS + 1000);
      expect(detail(again, 'database')).toMatch(new RegExp(`^no answer within ${TIMEOUT_MS} ms \\(an earlier check`));
      proxy.restore();
      const back = await s.until(200);
      expect(back.status, JSON.stringify(back.body)).toBe(200);
    });
  });

  describe.skipIf(!redisAvailable && !CI)(`Redis behind a TCP proxy (${REDIS_URL})`, () => {
    it('cut: 503 naming redis; restored: 200', async () => {
      expect(redisAvailable, `Redis does not answer at ${REDIS_URL}`).toBe(true);
      const url = new URL(REDIS_URL);
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
      stops.push(() => proxy.close());
      const s = await server({ redisUrl: proxy.via(REDIS_URL) });
      const ready = await s.readyz();
      expect(ready.status).toBe(200);
      expect(detail(ready, 'redis')).toBe('PING answered');

      proxy.cut();
      const probe = await s.until(503);
      expect(failing(probe)).toEqual(['redis']);
      expect(probe.ms).toBeLessThan(TIMEOUT_MS + 1000);
      proxy.restore();
      expect((await s.until(200)).status).toBe(200);

      proxy.hang();
      const hung = await s.until(503);
      expect(failing(hung)).toEqual(['redis']);
      expect(hung.ms, JSON.stringify(hung.body)).toBeLessThan(TIMEOUT_MS + 1000);
      proxy.restore();
      expect((await s.until(200)).status).toBe(200);
    });
  });
});

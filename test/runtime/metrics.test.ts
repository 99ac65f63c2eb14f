// Prometheus metrics over real HTTP (src/platform/metrics.ts, src/http/metrics-server.ts): requests counted by
// operation, method and status class on the separate metrics listener (never on the API's port), bounded label
// values only, a replay and a rate-limit refusal counted, the database's pool and statements; and `npm start`'s
// settings: METRICS=off serves nothing, an explicitly set METRICS_PORT that is taken refuses the start with one
// sentence, the default port taken only warns.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpace, creditWallet, getSpace, listSpaces, signIn, signOut } from '@platform/client';
import { DEFAULT_METRICS_PORT } from '../../src/config.js';
import { startMetricsServer, type MetricsServer } from '../../src/http/metrics-server.js';
import { SHUTDOWN_PHASES } from '../../src/platform/shutdown.js';
import { databaseEnv, spawnServer, type ServerProcess } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, useTestServer } from '../helpers/server.js';
import { newRoom, post } from '../helpers/rooms.js';
import { StreamReader } from '../helpers/sse.js';
import { newAdmin, newUser } from '../helpers/users.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, the samples only (`# HELP` / `# TYPE` lines skipped). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample named `name` whose labels include `labels` (0 when there is none). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

const server = useTestServer({ rateLimits: { signInFailuresPerEmailAndIp: 2 } });
let listener: MetricsServer;
const scrape = async (): Promise<Sample[]> => {
  const response = await fetch(`http://127.0.0.1:${listener.port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
};

beforeAll(async () => {
  listener = await startMetricsServer(server.platform.metrics!, '127.0.0.1', 0);
});
afterAll(async () => {
  await listener?.close();
});

describe('metrics of requests', () => {
  it('counts each request by operation, method and status class, and times it', async () => {
    const alice = await newUser('Alice');
    const labels = { operation: 'listSpaces', method: 'GET', status_class: '2xx' };
    const before = await scrape();
    let bytesSent = 0;
    for (let i = 0; i < 3; i += 1) {
      const { response } = await listSpaces({ ...alice.as });
      expect(response?.status).toBe(200);
      bytesSent += Number(response!.headers.get('content-length'));
    }
    const after = await scrape();
    expect(
      value(after, 'http_server_requests_total', labels) - value(before, 'http_server_requests_total', labels),
    ).toBe(3);
    const count = 'http_server_request_duration_seconds_count';
    expect(value(after, count, labels) - value(before, count, labels)).toBe(3);
    expect(value(after, 'http_server_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    // Every bucket of the histogram is there, up to +Inf, which holds all of them.
    expect(value(after, 'http_server_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(
      value(after, count, labels),
    );
    const sizes = 'http_server_response_size_bytes_count';
    expect(value(after, sizes, labels) - value(before, sizes, labels)).toBe(3);
    // The bytes each answer's Content-Length said; a GET has no body (0).
    const sent = 'http_server_response_size_bytes_sum';
    expect(bytesSent).toBeGreaterThan(0);
    expect(value(after, sent, labels) - value(before, sent, labels)).toBe(bytesSent);
    const received = 'http_server_request_size_bytes_sum';
    expect(value(after, received, labels) - value(before, received, labels)).toBe(0);
    // Their statements are timed too, those rendered by PostgreSQL (src/platform/rendered.ts) included.
    const selects = { statement: 'select' };
    const statements = 'db_query_duration_seconds_count';
    expect(value(after, statements, selects) - value(before, statements, selects)).toBeGreaterThanOrEqual(3);
    expect(value(after, 'http_server_request_size_bytes_count', labels)).toBeGreaterThanOrEqual(3);
    // The scrape itself is not a request of the API; none is in flight between requests.
    expect(value(after, 'http_server_requests_in_flight')).toBe(0);
  });

  it("sizes a request by its body's bytes", async () => {
    const alice = await newUser('Alice');
    const labels = { operation: 'createSpace', method: 'POST', status_class: '2xx' };
    const body = { name: 'Sized space ✓', description: 'Its request body is counted in bytes, not characters.' };
    const before = await scrape();
    expect((await createSpace({ body, ...alice.as })).response?.status).toBe(201);
    const after = await scrape();
    const received = 'http_server_request_size_bytes_sum';
    expect(value(after, received, labels) - value(before, received, labels)).toBe(
      Buffer.byteLength(JSON.stringify(body)),
    );
  });

  it('counts a 4xx as 4xx under its operation, and a path no route matches as "unmatched"', async () => {
    const alice = await newUser('Alice');
    const before = await scrape();
    const missing = await getSpace({ path: { id: randomUUID() }, ...alice.as });
    expect(missing.response?.status).toBe(404);
    expect((await fetch(`${server.baseUrl}/api/no-such-path/${randomUUID()}`)).status).toBe(404);
    const after = await scrape();
    const delta = (labels: Record<string, string>) =>
      value(after, 'http_server_requests_total', labels) - value(before, 'http_server_requests_total', labels);
    expect(delta({ operation: 'getSpace', method: 'GET', status_class: '4xx' })).toBe(1);
    expect(delta({ operation: 'getSpace', method: 'GET', status_class: '2xx' })).toBe(0);
    expect(delta({ operation: 'unmatched', method: 'GET', status_class: '4xx' })).toBe(1);
  });

  it('serves metrics only on the metrics listener: the API port answers 404 for /metrics, the listener 404 elsewhere', async () => {
    const api = await fetch(`${server.baseUrl}/metrics`);
    expect(api.status).toBe(404);
    expect(await api.text()).not.toContain('http_server_requests_total');
    expect((await fetch(`http://127.0.0.1:${listener.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${listener.port}/metrics/x`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${listener.port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('has no id, URL or path among its label values', async () => {
    const alice = await newUser('Alice');
    await getSpace({ path: { id: randomUUID() }, ...alice.as });
    await fetch(`${server.baseUrl}/api/spaces/${randomUUID()}/nothing?x=${randomUUID()}`);
    const samples = await scrape();
    // `le` is a histogram bucket's bound, a number by design.
    const values = new Set(
      samples.flatMap((s) =>
        Object.entries(s.labels)
          .filter(([key]) => key !== 'le')
          .map(([, v]) => v),
      ),
    );
    expect(values.size).toBeGreaterThan(5);
    for (const v of values) {
      expect(v, 'a uuid').not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
      expect(v, 'a path or URL').not.toMatch(/\/|:\/\//);
      expect(v, 'a long number').not.toMatch(/\d{6,}/);
    }
    // The labels of what this file exercised are the bounded ones.
    const operations = new Set(
      samples.filter((s) => s.name === 'http_server_requests_total').map((s) => s.labels.operation),
    );
    for (const op of operations) expect(op).toMatch(/^[a-z][A-Za-z]+$/);
  });
});

describe('metrics of streams', () => {
  /** Polls until `check` holds on a scrape (a stream's end is counted once its connection has closed). */
  const until = async (check: (samples: Sample[]) => boolean): Promise<Sample[]> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const samples = await scrape();
      if (check(samples) || Date.now() > deadline) return samples;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('counts open room streams, the events delivered and their lag from commit, and a cut-off by its reason', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const roomKind = { kind: 'room' };
    const before = await scrape();
    const response = await fetch(`${server.baseUrl}/api/v1/rooms/${room.id}/stream`, {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    expect(response.status).toBe(200);
    const reader = new StreamReader(response);
    // Live from here: the stream follows the room's feed, so the next events come from a commit's notification.
    const feeds = server.platform.services.rooms.streams.feeds;
    for (let i = 0; feeds.followers(room.id) === 0 && i < 100; i += 1) await new Promise((r) => setTimeout(r, 20));
    expect(value(await scrape(), 'sse_streams_open', roomKind)).toBe(value(before, 'sse_streams_open', roomKind) + 1);
    await post(room.id, alice, 'one');
    await post(room.id, alice, 'two');
    await reader.waitFor(2);
    const during = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      value(during, name, labels) - value(before, name, labels);
    expect(delta('sse_events_delivered_total', roomKind)).toBe(2);
    expect(delta('room_event_delivery_lag_seconds_count')).toBe(2);
    expect(value(during, 'room_event_delivery_lag_seconds_sum')).toBeLessThan(60);

    // Signing out ends the stream: cut off, its reason the credential.
    expect((await signOut({ ...alice.as })).response?.status).toBe(204);
    expect(await reader.ended).toBe('cut');
    const cut = { kind: 'room', reason: 'credential_ended' };
    const after = await until(
      (s) => value(s, 'sse_streams_open', roomKind) === value(before, 'sse_streams_open', roomKind),
    );
    expect(value(after, 'sse_streams_open', roomKind)).toBe(value(before, 'sse_streams_open', roomKind));
    expect(value(after, 'sse_streams_cut_off_total', cut) - value(before, 'sse_streams_cut_off_total', cut)).toBe(1);
  });
});

describe('metrics of money and limits', () => {
  it('counts an idempotent replay', async () => {
    const alice = await newUser('Alice');
    const admin = await newAdmin();
    const body = { amount: 5, reason: 'welcome', idempotencyKey: randomUUID() };
    const before = await scrape();
    await creditWallet({ path: { user_id: alice.user.id }, body, ...admin.as });
    const again = await creditWallet({ path: { user_id: alice.user.id }, body, ...admin.as });
    expect(again.response?.headers.get('idempotent-replayed')).toBe('true');
    const after = await scrape();
    expect(value(after, 'idempotent_replays_total') - value(before, 'idempotent_replays_total')).toBe(1);
  });

  it('counts a rate-limit refusal under the limit that refused it', async () => {
    const email = `metrics.${randomUUID().slice(0, 8)}@example.com`;
    const limit = { limit: 'signInFailuresPerEmailAndIp' };
    const before = await scrape();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1)
      statuses.push((await signIn({ body: { email, password: 'wrong-password' } })).response?.status ?? 0);
    expect(statuses).toEqual([401, 401, 429]);
    const after = await scrape();
    expect(value(after, 'rate_limit_refusals_total', limit) - value(before, 'rate_limit_refusals_total', limit)).toBe(
      1,
    );
    expect(
      value(after, 'http_server_requests_total', { operation: 'signIn', status_class: '4xx' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('exports the gauges read at scrape time, and the counters of jobs before they move', async () => {
    const samples = await scrape();
    expect(samples.some((s) => s.name === 'agent_calls_in_flight')).toBe(true);
    expect(value(samples, 'room_runs_open', { state: 'queued' })).toBeGreaterThanOrEqual(0);
    expect(samples.some((s) => s.name === 'room_runs_open' && s.labels.state === 'running')).toBe(true);
  });
});

describe('metrics of the database and the process', () => {
  it('exports the pool gauge by state and times statements by kind', async () => {
    await newUser('Alice');
    const samples = await scrape();
    for (const state of ['used', 'free', 'pending'])
      expect(samples.some((s) => s.name === 'db_pool_connections' && s.labels.state === state)).toBe(true);
    expect(value(samples, 'db_pool_connections', { state: 'pending' })).toBe(0);
    expect(value(samples, 'db_query_duration_seconds_count', { statement: 'select' })).toBeGreaterThan(0);
    expect(value(samples, 'db_query_duration_seconds_count', { statement: 'insert' })).toBeGreaterThan(0);
    const statements = new Set(samples.filter((s) => s.name.startsWith('db_query')).map((s) => s.labels.statement));
    for (const statement of statements) expect(['select', 'insert', 'update', 'delete', 'other']).toContain(statement);
  });

  it('times the statements of a transaction, its BEGIN and COMMIT, and a statement that fails', async () => {
    const count = (samples: Sample[], statement: string) =>
      value(samples, 'db_query_duration_seconds_count', { statement });
    const knex = server.platform.database.knex;
    const before = await scrape();
    await knex.transaction(async (trx) => {
      await trx.raw('select 1');
      await trx('idempotency_keys').where('principalId', randomUUID()).update({ status: 200 });
    });
    await expect(knex.raw('delete from no_such_table')).rejects.toThrow(/no_such_table/);
    const after = await scrape();
    // The scrape reads the room runs open with a select of its own.
    expect(count(after, 'select') - count(before, 'select')).toBeGreaterThanOrEqual(1);
    expect(count(after, 'update') - count(before, 'update')).toBe(1);
    expect(count(after, 'delete') - count(before, 'delete')).toBe(1);
    expect(count(after, 'other') - count(before, 'other')).toBe(2);
  });

  it("exports Node's own metrics: event loop lag, heap, GC", async () => {
    const names = new Set((await scrape()).map((s) => s.name));
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total'])
      expect(names).toContain(name);
  });

  it("shows the instance's lifecycle phase: serving, then each of the stop's phases as it runs", async () => {
    const stopping = await startTestServer();
    const own = await startMetricsServer(stopping.platform.metrics!, '127.0.0.1', 0);
    const current = async () => {
      const text = await (await fetch(`http://127.0.0.1:${own.port}/metrics`)).text();
      const phases = parse(text).filter((s) => s.name === 'platform_lifecycle_phase');
      expect(phases.filter((s) => s.value === 1)).toHaveLength(1);
      return phases.find((s) => s.value === 1)!.labels.phase;
    };
    try {
      expect(await current()).toBe('serving');
      const seen: string[] = [];
      const record = async () => {
        seen.push((await current()) ?? '');
      };
      await stopping.platform.shutdown.run(
        Object.fromEntries(SHUTDOWN_PHASES.map((phase) => [phase, record])),
        stopping.platform.log,
        'test',
      );
      expect(seen).toEqual([...SHUTDOWN_PHASES]);
      expect(await current()).toBe('stopped');
    } finally {
      await own.close();
      await stopping.stop();
    }
  });

  it('builds no metrics when METRICS is off, and each app has its own registry', async () => {
    const off = await startTestServer({ metrics: undefined });
    try {
      expect(off.platform.metrics).toBeUndefined();
    } finally {
      await off.stop();
    }
    expect(server.platform.metrics!.registry).not.toBe((await import('prom-client')).register);
  });
});

describe('npm start and its metrics settings', () => {
  const children: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let held: Server | undefined;
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    for (const cleanup of cleanups) await cleanup();
    await new Promise<void>((resolve) => (held ? held.close(() => resolve()) : resolve()));
  });
  const spawn = async (env: Record<string, string>): Promise<ServerProcess> => {
    const { settings, cleanup } = await databaseSettings();
    cleanups.push(cleanup);
    const child = spawnServer({ ...databaseEnv(settings), ...env });
    children.push(child);
    return child;
  };
  const listeningLine = (child: ServerProcess) =>
    JSON.parse(
      child
        .stdout()
        .split('\n')
        .find((l) => l.includes('"msg":"listening"'))!,
    ) as { metrics?: string };
  const hold = async (port: number): Promise<Server | undefined> => {
    const server = createServer();
    return new Promise((resolve) => {
      server.once('error', () => resolve(undefined)); // taken already: by someone else, which is as good
      server.listen(port, '127.0.0.1', () => resolve(server));
    });
  };

  it('serves the metrics its listening line names, on their own port', async () => {
    const child = await spawn({});
    const baseUrl = await child.listening();
    expect(baseUrl).toBeDefined();
    const url = listeningLine(child).metrics!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(url).not.toContain(new URL(baseUrl!).port);
    expect((await fetch(`${baseUrl}/api/spaces`)).status).toBe(200);
    const samples = parse(await (await fetch(url)).text());
    expect(
      value(samples, 'http_server_requests_total', { operation: 'listSpaces', method: 'GET', status_class: '2xx' }),
    ).toBe(1);
    expect((await fetch(`${baseUrl}/metrics`)).status).toBe(404);
  }, 90_000);

  it('METRICS=off serves no metrics', async () => {
    const port = await freePort();
    const child = await spawn({ METRICS: 'off', METRICS_PORT: String(port) });
    expect(await child.listening()).toBeDefined();
    expect(listeningLine(child).metrics).toBeUndefined();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  }, 90_000);

  it('refuses to start, in one sentence, when METRICS_PORT was set to a port in use', async () => {
    const port = await freePort();
    const taken = await hold(port);
    try {
      const child = await spawn({ METRICS_PORT: String(port) });
      expect(await child.exited).toBe(1);
      expect(child.stderr()).toBe(
        `Metrics port ${port} is already in use on 127.0.0.1: stop the process that holds it, or set METRICS_PORT to a free port (or METRICS=off).\n`,
      );
      expect(child.stdout()).not.toContain('"msg":"listening"');
    } finally {
      await new Promise<void>((resolve) => (taken ? taken.close(() => resolve()) : resolve()));
    }
  }, 90_000);

  it('only warns when the default port is in use (a second instance on the machine), and serves', async () => {
    held = await hold(DEFAULT_METRICS_PORT);
    const child = await spawn({ METRICS_PORT: '' });
    const baseUrl = await child.listening();
    expect(baseUrl, child.stderr()).toBeDefined();
    expect(child.stdout()).toContain(
      `Metrics port ${DEFAULT_METRICS_PORT} is already in use on 127.0.0.1 (another instance on this machine?): this instance serves no metrics`,
    );
    expect(listeningLine(child).metrics).toBeUndefined();
    expect((await fetch(`${baseUrl}/api/spaces`)).status).toBe(200);
  }, 90_000);
});

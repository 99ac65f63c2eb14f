// Rate limits shared through Redis (REDIS_URL), over real HTTP: two instances on one database share one
// limit, atomically; a Redis that cannot be reached at start stops the start with one sentence; a Redis that
// goes away while running leaves each instance counting on its own until it is back.
//
// Needs the Redis server at redis://127.0.0.1:6379 (or REDIS_TEST_URL). Keys are written under a prefix of
// this run's own and deleted at the end. In CI (CI=true) a missing Redis fails these tests; elsewhere they are
// skipped, saying so.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformClient, signIn, signUp, type Client } from '@platform/client';
import { freshDatabase } from '../helpers/database.js';
import { testConfig, watchClient, type ConfigOverrides } from '../helpers/server.js';
import { buildApp, type Platform } from '../../src/app.js';
import { createHttpServer } from '../../src/http/http-server.js';
import type { Database } from '../../src/platform/database.js';
import { REDIS_URL, redisAnswers } from '../helpers/redis.js';

const SERVICE = `Redis at ${REDIS_URL} (set REDIS_TEST_URL to use another)`;
const RUN_PREFIX = `platform-test:${randomBytes(6).toString('hex')}:`;

const available = await redisAnswers();
const CI = process.env.CI === 'true';

const LIMITS = { signUpPerIp: 3, signInPerIp: 1000, signInFailuresPerEmailAndIp: 2, inviteeLookupFailuresPerIp: 1000 };
let instanceCount = 0;

interface Instance {
  platform: Platform;
  client: Client;
  lines: Array<{ level: number; msg: string }>;
  stop(): Promise<void>;
}

/** One instance of the platform over `database` (which it does not close), served on an ephemeral port. */
async function instance(database: Database, overrides: ConfigOverrides): Promise<Instance> {
  const lines: Instance['lines'] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  const config = testConfig({
    rateLimits: LIMITS,
    redisUrl: REDIS_URL,
    redisKeyPrefix: `${RUN_PREFIX}${++instanceCount}:`,
    ...overrides,
  });
  const platform = await buildApp(config, {
    database: { ...database, close: async () => undefined },
    log,
    jobs: false,
  });
  const server: Server = createHttpServer(config.http, platform.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = createPlatformClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  watchClient(client);
  return {
    platform,
    client,
    lines,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await platform.close();
    },
  };
}

const newAccount = (client: Client) =>
  signUp({
    client,
    body: { name: 'R', email: `r.${randomBytes(5).toString('hex')}@example.com`, password: 'a long password' },
  });

/** A TCP proxy in front of Redis that the test can take down and bring back, as an outage would. */
async function redisProxy(): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; connections: number }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let server: TcpServer | undefined;
  let port = 0;
  const proxy = {
    url: '',
    connections: 0,
    async up() {
      server = createTcpServer((client) => {
        proxy.connections += 1;
        const upstream = connect(Number(target.port || 6379), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => {
            sockets.delete(s);
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      proxy.url = `redis://127.0.0.1:${port}${target.pathname}`;
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
  await proxy.up();
  return proxy;
}

describe.skipIf(!available && !CI)(`rate limits in Redis (needs ${SERVICE})`, () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const running: Instance[] = [];
  const start = async (overrides: ConfigOverrides = {}) => {
    const i = await instance(database.database, overrides);
    running.push(i);
    return i;
  };

  beforeAll(async () => {
    if (!available) throw new Error(`These tests need ${SERVICE}, and it does not answer.`);
    database = await freshDatabase();
  });
  afterAll(async () => {
    for (const i of running) await i.stop();
    await database?.drop();
    if (!available) return;
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${RUN_PREFIX}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it("two instances on one database share one limit, with Retry-After from the window's time left", async () => {
    const prefix = `${RUN_PREFIX}shared:`;
    const a = await start({ redisKeyPrefix: prefix });
    const b = await start({ redisKeyPrefix: prefix });
    expect((await newAccount(a.client)).response?.status).toBe(201);
    expect((await newAccount(b.client)).response?.status).toBe(201);
    expect((await newAccount(a.client)).response?.status).toBe(201);
    // Each instance has seen at most two sign-ups: alone, neither would refuse.
    for (const refusing of [b, a]) {
      const refused = await newAccount(refusing.client);
      expect(refused.response?.status).toBe(429);
      expect(refused.error).toMatchObject({ code: 'RATE_LIMITED' });
      const retryAfter = Number(refused.response?.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
    }
  });

  it('counts refused sign-ins for an email and address across instances, and blocks them on both', async () => {
    const prefix = `${RUN_PREFIX}failures:`;
    const a = await start({ redisKeyPrefix: prefix, rateLimits: { ...LIMITS, signUpPerIp: 1000 } });
    const b = await start({ redisKeyPrefix: prefix, rateLimits: { ...LIMITS, signUpPerIp: 1000 } });
    const email = `victim.${randomBytes(4).toString('hex')}@example.com`;
    expect(
      (await signUp({ client: a.client, body: { name: 'V', email, password: 'the right password' } })).response?.status,
    ).toBe(201);
    expect((await signIn({ client: a.client, body: { email, password: 'wrong 1' } })).response?.status).toBe(401);
    expect(
      (await signIn({ client: b.client, body: { email: email.toUpperCase(), password: 'wrong 2' } })).response?.status,
    ).toBe(401);
    for (const i of [a, b])
      expect(
        (await signIn({ client: i.client, body: { email, password: 'the right password' } })).response?.status,
      ).toBe(429);
  });

  it('counts a sign-in before checking it: 30 wrong passwords at once on two instances, exactly the limit checked', async () => {
    const prefix = `${RUN_PREFIX}parallel-failures:`;
    const limits = { ...LIMITS, signUpPerIp: 1000, signInFailuresPerEmailAndIp: 10 };
    const a = await start({ redisKeyPrefix: prefix, rateLimits: limits });
    const b = await start({ redisKeyPrefix: prefix, rateLimits: limits });
    const email = `parallel.${randomBytes(4).toString('hex')}@example.com`;
    expect(
      (await signUp({ client: a.client, body: { name: 'P', email, password: 'the right password' } })).response?.status,
    ).toBe(201);
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        signIn({ client: (n % 2 ? a : b).client, body: { email, password: `wrong ${n}` } }).then(
          (r) => r.response?.status,
        ),
      ),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('locks out an address, not the account: the owner signs in from another address; successes do not count', async () => {
    const prefix = `${RUN_PREFIX}per-address:`;
    const limits = { ...LIMITS, signUpPerIp: 1000 };
    const a = await start({ redisKeyPrefix: prefix, rateLimits: limits, trustedProxyHops: 1 });
    const b = await start({ redisKeyPrefix: prefix, rateLimits: limits, trustedProxyHops: 1 });
    const email = `owner.${randomBytes(4).toString('hex')}@example.com`;
    const from = (i: Instance, address: string, password: string) =>
      signIn({ client: i.client, headers: { 'X-Forwarded-For': address }, body: { email, password } }).then(
        (r) => r.response?.status,
      );
    expect(
      (await signUp({ client: a.client, body: { name: 'O', email, password: 'the right password' } })).response?.status,
    ).toBe(201);
    expect(await from(a, '203.0.113.66', 'guess 1')).toBe(401);
    expect(await from(b, '203.0.113.66', 'guess 2')).toBe(401);
    expect(await from(a, '203.0.113.66', 'the right password')).toBe(429);
    // The owner, elsewhere: right passwords given back, so a typo or two later still leaves the door open.
    for (const i of [a, b, a]) expect(await from(i, '198.51.100.20', 'the right password')).toBe(200);
    expect(await from(b, '198.51.100.20', 'a typo')).toBe(401);
    expect(await from(a, '198.51.100.20', 'the right password')).toBe(200);
  });

  it('is atomic: concurrent sign-ups on two instances get exactly the limit through', async () => {
    const prefix = `${RUN_PREFIX}concurrent:`;
    const a = await start({ redisKeyPrefix: prefix });
    const b = await start({ redisKeyPrefix: prefix });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, n) => newAccount((n % 2 ? a : b).client).then((r) => r.response?.status)),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(LIMITS.signUpPerIp);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8 - LIMITS.signUpPerIp);
  });

  it('keeps a hashed key per limit under REDIS_KEY_PREFIX, expiring with its window', async () => {
    const prefix = `${RUN_PREFIX}keys:`;
    const a = await start({ redisKeyPrefix: prefix });
    await newAccount(a.client);
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}*`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(new RegExp(`^${prefix}rate-limit:signUpPerIp:[\\w-]{32}$`));
      expect(keys[0]).not.toContain('127.0.0.1');
      const ttl = await redis.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
    } finally {
      await redis.quit();
    }
  });

  it('stops the start with one sentence when Redis cannot be reached, without showing a password', async () => {
    await expect(start({ redisUrl: 'redis://:s3cret@127.0.0.1:1' })).rejects.toThrow(
      /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is not reachable \(connect ECONNREFUSED 127\.0\.0\.1:1\): start it, or unset REDIS_URL to count rate limits in each process\.$/,
    );
  });

  it('when Redis goes away while running, counts in each instance (warning once), then shares again when it is back', async () => {
    const proxy = await redisProxy();
    const a = await start({ redisUrl: proxy.url, redisKeyPrefix: `${RUN_PREFIX}outage:` });
    expect((await newAccount(a.client)).response?.status).toBe(201); // Redis: 1

    await proxy.down();
    // Requests neither fail nor wait: the instance counts on its own, from zero, and its limit still holds.
    for (let n = 0; n < LIMITS.signUpPerIp; n++) expect((await newAccount(a.client)).response?.status).toBe(201);
    expect((await newAccount(a.client)).response?.status).toBe(429);
    const warnings = a.lines.filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual([
      'Redis is unreachable: rate limits are counted in each process until it is back',
    ]);

    const before = proxy.connections;
    await proxy.up();
    // Back in Redis, where one sign-up was counted: two more get through (ioredis reconnects within ~2 s).
    const deadline = Date.now() + 15_000;
    let status: number | undefined = 429;
    while (status === 429 && Date.now() < deadline) {
      if (proxy.connections > before) status = (await newAccount(a.client)).response?.status;
      if (status === 429) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(201); // Redis: 2
    expect((await newAccount(a.client)).response?.status).toBe(201); // Redis: 3
    expect((await newAccount(a.client)).response?.status).toBe(429);
    expect(a.lines.filter((l) => l.msg === 'Redis is back: rate limits are shared again')).toHaveLength(1);
    await a.stop();
    running.splice(running.indexOf(a), 1);
    await proxy.down();
  });
});

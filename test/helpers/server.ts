// Boots the real app on an ephemeral port over a fresh database for one test file, and points the
// generated client at it. Every response the client receives is validated against the contract (a
// violation throws, failing the test) and recorded for the coverage table.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { databaseSettings } from './database.js';
import { client, type Client } from '@platform/client';
import { buildApp, type BuildOptions, type Platform } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { operations } from '../../generated/server/index.js';
import { validators } from '../../generated/validators/index.gen.js';

/** The admin every test server creates at start (ADMIN_EMAILS, ADMIN_PASSWORD): tests sign in as it. */
export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestServer {
  baseUrl: string;
  platform: Platform;
  config: Config;
}

const operationByRoute = new Map(operations.map((op) => [`${op.method} ${op.path}`, op]));
const exercised: Array<[string, number]> = [];

/** Records a status for the coverage table, for calls made without the generated client (raw SSE reads). */
export function recordExercised(operationId: string, status: number): void {
  exercised.push([operationId, status]);
}

/** Checks one response against the contract and records it. */
async function checkAgainstContract(response: Response, method: string, url: string): Promise<void> {
  const op = operationByRoute.get(`${method.toUpperCase()} ${url}`);
  if (!op) throw new Error(`No operation for ${method} ${url}`);
  const status = response.status;
  exercised.push([op.operationId, status]);
  if (!(op.statuses as readonly number[]).includes(status)) {
    throw new Error(
      `${op.operationId} answered ${status}, which the contract does not document (${await response.clone().text()})`,
    );
  }
  const type = response.headers.get('content-type') ?? '';
  // Streams are checked event by event by the server itself (strict response validation); bytes (audio)
  // have no schema. Neither is read here, so a stream is not held up.
  if (/^text\/event-stream|^audio\//.test(type)) {
    if (op.contentTypes[status as keyof typeof op.contentTypes] === undefined)
      throw new Error(`${op.operationId} ${status} sent ${type}, which the contract does not document`);
    return;
  }
  const validate = validators[op.operationId].responses[status];
  const text = await response.clone().text();
  if (!validate) {
    if (text !== '') throw new Error(`${op.operationId} ${status} has a body but the contract documents none: ${text}`);
    return;
  }
  const body = JSON.parse(text) as unknown;
  if (!validate(body))
    throw new Error(
      `${op.operationId} ${status} body violates the contract: ${JSON.stringify(validate.errors)}\n${text}`,
    );
}

/** Settings a test changes; the agent's, the outbound fetch's and the rate limits are merged into the defaults one by one. */
export type ConfigOverrides = Partial<Omit<Config, 'agent' | 'outbound' | 'rateLimits'>> & {
  agent?: Partial<Config['agent']>;
  outbound?: Partial<Config['outbound']>;
  rateLimits?: Partial<Config['rateLimits']>;
};

/** Tests call far more often than people do: every limit is out of reach unless a test sets it. */
const UNLIMITED = 1e9;

export function testConfig(overrides: ConfigOverrides = {}): Config {
  const base = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    ADMIN_EMAILS: ADMIN_EMAIL,
    ADMIN_PASSWORD,
  });
  return {
    ...base,
    responseValidation: 'strict',
    ...overrides,
    rateLimits: {
      ...(Object.fromEntries(Object.keys(base.rateLimits).map((name) => [name, UNLIMITED])) as Config['rateLimits']),
      ...overrides.rateLimits,
    },
    agent: { ...base.agent, ...overrides.agent },
    outbound: { ...base.outbound, ...overrides.outbound },
  };
}

export async function startTestServer(
  overrides: ConfigOverrides = {},
  options: BuildOptions = {},
): Promise<TestServer & { stop(): Promise<void> }> {
  const { settings, cleanup } = await databaseSettings();
  const config = testConfig({ ...settings, ...overrides });
  const platform = await buildApp(config, { jobs: false, ...options });
  const served = await servePlatform(platform, config);
  return {
    ...served,
    stop: async () => {
      await served.stop();
      await cleanup();
    },
  };
}

/**
 * Serves an app on an ephemeral port the way `npm start` does (the shared server factory); `stop` closes the
 * server, then the app. For a second instance on a test server's database, or an app built with other options.
 */
export async function servePlatform(
  platform: Platform,
  config: Config,
): Promise<TestServer & { stop(): Promise<void> }> {
  const server: Server = createHttpServer(config.http, platform.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    platform,
    config,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await platform.close();
    },
  };
}

/** Validates every response a client receives against the contract, and records it for the coverage table. */
export function watchClient(c: Client): void {
  c.interceptors.response.use(async (response, _request, options) => {
    await checkAgainstContract(response, options.method ?? 'GET', options.url);
    return response;
  });
}

/** Starts the server for this test file and points the shared generated client at it. */
export function useTestServer(overrides: ConfigOverrides = {}, options: BuildOptions = {}): TestServer {
  const handle = {} as TestServer & { stop?: () => Promise<void> };
  beforeAll(async () => {
    Object.assign(handle, await startTestServer(overrides, options));
    client.setConfig({ baseUrl: handle.baseUrl });
    watchClient(client);
  }, 60_000);
  afterAll(async () => {
    await handle.stop?.();
    const dir = inject('coverageDir');
    mkdirSync(dir, { recursive: true });
    const file = basename(expect.getState().testPath ?? 'unknown');
    writeFileSync(join(dir, `${file}__${randomBytes(4).toString('hex')}.json`), JSON.stringify(exercised));
  });
  return handle;
}

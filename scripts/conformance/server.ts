// Boots the real app in-process on an ephemeral port over a database of its own: a fresh PGlite directory
// (or a copy of an already migrated template), or a new schema on a PostgreSQL server, dropped afterwards.
// The only things used from src/ are buildApp, loadConfig, createHttpServer, platform.database.knex and platform.close().
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';

export interface BootOptions {
  database: 'pglite' | 'postgres';
  /** Required for `postgres`. */
  databaseUrl?: string;
  /** A migrated PGlite data directory to copy instead of running initdb (the vitest global setup has one). */
  pgliteTemplate?: string;
  /** The admin account the server creates at start. */
  admin: { email: string; password: string };
}

export interface Booted {
  baseUrl: string;
  knex: Knex;
  describe: string;
  stop(): Promise<void>;
}

export async function bootServer(options: BootOptions): Promise<Booted> {
  const unlimited = String(1e9); // the suite signs up and in far more often than a person would
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.CONFORMANCE_LOG_LEVEL ?? 'silent',
    ADMIN_EMAILS: options.admin.email,
    ADMIN_PASSWORD: options.admin.password,
    RESPONSE_VALIDATION: 'off', // the suite itself is the checker
    RATE_LIMIT_SIGN_UP_PER_HOUR: unlimited,
    RATE_LIMIT_SIGN_IN_PER_15_MIN: unlimited,
    RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MIN: unlimited,
    RATE_LIMIT_LOUNGE_CREATES_PER_HOUR: unlimited,
    RATE_LIMIT_CHARGES_PER_HOUR: unlimited,
    RATE_LIMIT_AGENT_CHATS_PER_MINUTE: unlimited,
    RATE_LIMIT_ROOM_POSTS_PER_MINUTE: unlimited,
  };
  let cleanup: () => Promise<void>;
  let describe: string;
  if (options.database === 'postgres') {
    if (!options.databaseUrl) throw new Error('--database postgres needs DATABASE_URL');
    const schema = `conformance_${randomBytes(6).toString('hex')}`;
    Object.assign(env, { DATABASE_URL: options.databaseUrl, DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: '10' });
    describe = `PostgreSQL (${options.databaseUrl.replace(/\/\/[^@]*@/, '//')}, schema ${schema})`;
    // Dropped over a connection of its own once the app is closed, so nothing it still runs holds locks.
    cleanup = async () => {
      const admin = knex({ client: 'pg', connection: options.databaseUrl, pool: { min: 0, max: 1 } });
      try {
        await admin.raw('drop schema if exists ?? cascade', [schema]);
      } finally {
        await admin.destroy();
      }
    };
  } else {
    const work = mkdtempSync(join(tmpdir(), 'conformance-db-'));
    const dataDir = join(work, 'data');
    if (options.pgliteTemplate) cpSync(options.pgliteTemplate, dataDir, { recursive: true });
    env.DATA_DIR = dataDir;
    describe = `PGlite (${dataDir})`;
    cleanup = async () => {
      rmSync(work, { recursive: true, force: true });
    };
  }

  const config = loadConfig(env);
  const platform = await buildApp(config);
  const server = createHttpServer(config.http, platform.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    knex: platform.database.knex,
    describe,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await platform.close();
      await cleanup();
    },
  };
}

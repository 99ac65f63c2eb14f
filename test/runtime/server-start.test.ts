// `npm start` refusing to start: one sentence on stderr saying what is wrong and what to do, exit code 1, no
// stack trace, and the database released (the embedded database's lock is gone).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseSettings } from '../helpers/database.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs src/server.ts as `npm start` does, on a fresh database, until it exits. */
async function start(env: Record<string, string>): Promise<{ code: number | null; stderr: string; lockLeft: boolean }> {
  const { settings, cleanup } = await databaseSettings();
  const databaseEnv: Record<string, string> = settings.databaseUrl
    ? { DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema! }
    : { DATA_DIR: settings.dataDir!, DATABASE_URL: '' };
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/server.ts'],
        {
          cwd: root,
          timeout: 60_000,
          env: { ...process.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', REDIS_URL: '', ...databaseEnv, ...env },
        },
        (error, _stdout, stderr) => resolve({ code: error ? (error.code as number | null) : 0, stderr }),
      );
    });
    return { code, stderr, lockLeft: settings.dataDir !== undefined && existsSync(`${settings.dataDir}.lock`) };
  } finally {
    await cleanup();
  }
}

describe('npm start', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('on a port in use: names the port and what to do, exits 1, no stack trace, database released', async () => {
    const run = await start({ PORT: String(port) });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `Port ${port} is already in use on 127.0.0.1: stop the process that holds it, or set PORT to a free port.\n`,
    );
    expect(run.lockLeft).toBe(false);
  }, 90_000);

  it('with an unreachable REDIS_URL: names Redis and what to do, exits 1, no stack trace', async () => {
    const run = await start({ PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(1);
    expect(run.lockLeft).toBe(false);
    expect(run.stderr).toBe(
      'Redis at redis://127.0.0.1:1 is not reachable (connect ECONNREFUSED 127.0.0.1:1): start it, or unset REDIS_URL to count rate limits in each process.\n',
    );
  }, 90_000);
});

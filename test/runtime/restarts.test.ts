// `npm start` stopped and started again, as a supervisor does it: after a SIGKILL a restart on the same
// embedded database serves at once with the committed data (the lock of a dead owner is taken over), a second
// server while one lives is refused, and of two servers started together after a crash exactly one serves.
// Stopped with SIGTERM or SIGINT, a production server's buffered log holds the access line of every request
// it answered, and shows the stop's six phases in order, each with its duration.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseEnv, spawnServer, type ServerProcess } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { SHUTDOWN_PHASES } from '../../src/platform/shutdown.js';

const running: ServerProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.kill();
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A database of this test's own, as the environment `npm start` reads. */
async function database(): Promise<Record<string, string>> {
  const { settings, cleanup } = await databaseSettings();
  cleanups.push(cleanup);
  return databaseEnv(settings);
}

interface Started extends ServerProcess {
  /** Where it listens, once `serving` said it does. */
  url: string;
}

/** Runs src/server.ts as `npm start` does. */
function start(env: Record<string, string>): Started {
  const server = Object.assign(spawnServer(env), { url: '' });
  running.push(server);
  return server;
}

/** Waits until the server listens (true) or exits first (false). */
async function serving(server: Started): Promise<boolean> {
  const url = await server.listening();
  if (url) server.url = url;
  return url !== undefined;
}

/** Waits until the lock file of `dataDir` names `server`'s process (true), or the server exits (false). */
async function lockedBy(dataDir: string, server: Started): Promise<boolean> {
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  while (!exited) {
    try {
      if (JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')).pid === server.process.pid) return true;
    } catch {
      /* not there, or being written */
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

const account = { name: 'Restart', email: 'restart@example.com', password: 'correct-horse-battery' };

async function signUp(server: Started): Promise<void> {
  const response = await fetch(`${server.url}/api/auth/sign-up`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(response.status).toBe(201);
}

async function signIn(server: Started): Promise<number> {
  const response = await fetch(`${server.url}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  await response.arrayBuffer();
  return response.status;
}

const inUse = (dataDir: string) =>
  `The data directory ${dataDir} is in use by another process (PGlite allows one). Stop the other server, or start this one with another DATA_DIR or with DATABASE_URL.\n`;

describe.skipIf(Boolean(process.env.DATABASE_URL))('restarts on the embedded database', () => {
  it('refuses a second server while the first lives; after a SIGKILL, the first restart serves, with the committed data', async () => {
    const env = await database();
    const first = start(env);
    expect(await serving(first)).toBe(true);
    await signUp(first);

    const second = start(env);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toBe(inUse(env.DATA_DIR!));
    expect(await signIn(first)).toBe(200);

    await first.kill();
    const killedAt = performance.now();
    const restarted = start(env);
    // The dead owner's lock is taken as soon as the restart looks: the file names the new process within
    // seconds, where a lock judged by its age alone (10 s without a heartbeat) could not be taken before ~8 s.
    expect(await lockedBy(env.DATA_DIR!, restarted)).toBe(true);
    expect(performance.now() - killedAt).toBeLessThan(6_000);
    expect(await serving(restarted), restarted.stderr()).toBe(true);
    expect(await signIn(restarted)).toBe(200);

    expect(await restarted.kill('SIGTERM')).toBe(0);
    expect(existsSync(`${env.DATA_DIR}.lock`)).toBe(false);
  }, 180_000);

  it('of two servers started together after a SIGKILL, exactly one serves and the other is refused', async () => {
    const env = await database();
    const first = start(env);
    expect(await serving(first)).toBe(true);
    await signUp(first);
    await first.kill();

    const both = [start(env), start(env)];
    const results = await Promise.all(both.map(serving));
    expect(results.filter(Boolean), both.map((s) => s.stderr()).join('\n')).toHaveLength(1);
    const winner = both[results.indexOf(true)]!;
    const loser = both[results.indexOf(false)]!;
    expect(await loser.exited).toBe(1);
    expect(loser.stderr()).toBe(inUse(env.DATA_DIR!));
    expect(await signIn(winner)).toBe(200);
  }, 180_000);
});

describe('stopping a production server', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s, its log holds the access line of every request it answered',
    async (signal) => {
      const server = start({ ...(await database()), NODE_ENV: 'production' });
      expect(await serving(server)).toBe(true);
      const answered: string[] = [];
      const call = async (id: string) => {
        try {
          const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } });
          await response.arrayBuffer();
          if (response.status === 200) answered.push(id);
        } catch {
          /* refused once the server stopped listening: not answered */
        }
      };
      // Fewer bytes than the buffer holds are left unwritten after these, until the next flush.
      for (let batch = 0; batch < 10; batch++)
        await Promise.all(Array.from({ length: 10 }, (_, i) => call(`${signal}-${batch}-${i}`)));
      expect(answered).toHaveLength(100);
      // And some still in flight when the signal comes.
      const late = Array.from({ length: 10 }, (_, i) => call(`${signal}-late-${i}`));
      const exited = server.kill(signal);
      await Promise.all(late);

      expect(await exited, server.stderr()).toBe(0);
      const lines = server
        .stdout()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { msg: string; requestId?: string; status?: number });
      const accessLines = new Map<string, number>();
      for (const line of lines)
        if (line.msg === 'request' && line.requestId)
          accessLines.set(line.requestId, (accessLines.get(line.requestId) ?? 0) + 1);
      const missing = answered.filter((id) => accessLines.get(id) !== 1);
      expect(missing, `answered without exactly one access line (of ${answered.length})`).toEqual([]);
      expect(lines.at(-1)?.msg).not.toBe('shutdown failed');
      // The stop's six phases, in order, each started and ended with its duration (src/platform/shutdown.ts).
      const phases = (lines as Array<{ msg: string; phase?: string; durationMs?: number }>).filter((line) =>
        line.msg.startsWith('shutdown phase'),
      );
      expect(phases.map((line) => [line.msg, line.phase])).toEqual(
        SHUTDOWN_PHASES.flatMap((phase) => [
          ['shutdown phase started', phase],
          ['shutdown phase ended', phase],
        ]),
      );
      for (const ended of phases.filter((line) => line.msg === 'shutdown phase ended'))
        expect(ended.durationMs, ended.phase).toBeGreaterThanOrEqual(0);
      expect(lines.find((line) => line.msg === 'shut down')).toHaveProperty('durationMs');
    },
    120_000,
  );
});

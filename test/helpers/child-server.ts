// A real server process, as `npm start` runs it (src/server.ts under tsx) or `npm run start:prod` (compiled), for tests (and the restart benchmark)
// that stop, kill and restart it: its output is kept, its address read from its `listening` log line (it
// listens on PORT, 0 by default: a port the system chooses), its stderr followed for failpoints
// (src/platform/failpoints.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server.js';

const root = join(import.meta.dirname, '..', '..');

export interface ServerProcess {
  process: ChildProcess;
  /** Everything it wrote so far: stdout (JSON log lines) and stderr. */
  stdout(): string;
  stderr(): string;
  /** Its exit code (null when a signal ended it), once it has exited. */
  exited: Promise<number | null>;
  /** Its base URL once it logged `listening` (needs LOG_LEVEL info or lower), or undefined if it exits first. */
  listening(timeoutMs?: number): Promise<string | undefined>;
  /** Resolves once it printed `failpoint <name>` (it then waits there until killed). */
  reached(name: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (SIGKILL by default) and resolves with the exit code once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export type ChildServer = ServerProcess & { baseUrl: string };

/** The environment of a database from `databaseSettings()`. */
export function databaseEnv(settings: {
  databaseUrl?: string;
  databaseSchema?: string;
  dataDir?: string;
}): Record<string, string> {
  return settings.databaseUrl
    ? { DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema ?? '' }
    : { DATABASE_URL: '', DATA_DIR: settings.dataDir! };
}

/** How `npm start` runs the server: TypeScript compiled as it loads (tsx). */
export const TSX_SERVER = ['--import', 'tsx', 'src/server.ts'];

/**
 * Starts the process; `env` is added to this one's (and decides the database, with `databaseEnv`). `args` are
 * node's: `npm start`'s by default, or a compiled build's (`[join(dist, 'src', 'server.js')]`).
 */
export function spawnServer(env: Record<string, string>, args: string[] = TSX_SERVER): ServerProcess {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL: '',
      // Metrics on a port the system chooses: servers started side by side never collide on the default (9464).
      METRICS_PORT: '0',
      ADMIN_EMAILS: ADMIN_EMAIL,
      ADMIN_PASSWORD,
      RATE_LIMIT_SIGN_UP_PER_HOUR: '1000000',
      RATE_LIMIT_SIGN_IN_PER_15_MIN: '1000000',
      RATE_LIMIT_LOUNGE_CREATES_PER_HOUR: '1000000',
      RATE_LIMIT_CHARGES_PER_HOUR: '1000000',
      RATE_LIMIT_AGENT_CHATS_PER_MINUTE: '1000000',
      RATE_LIMIT_ROOM_POSTS_PER_MINUTE: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exitCode: number | null | undefined;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const wake of waiters) wake();
  };
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      changed();
      resolve(code);
    }),
  );
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    changed();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
    changed();
  });

  /** Waits until `found()` gives a value, or undefined once the process has exited; throws when the time is up. */
  const until = async <T>(found: () => T | undefined, what: string, ms: number): Promise<T | undefined> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = found();
      if (value !== undefined || exitCode !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`no ${what} after ${ms} ms:\n${err || out.slice(-2000)}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, 100);
        waiters.add(wake);
      });
    }
  };

  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    listening: (ms = 60_000) =>
      until(
        () => {
          const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
          return line && `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`;
        },
        'listening line',
        ms,
      ),
    reached: async (name, ms = 30_000) => {
      const seen = await until(() => (err.includes(`failpoint ${name}\n`) ? true : undefined), `failpoint ${name}`, ms);
      if (!seen) throw new Error(`the server exited before failpoint ${name}:\n${err || out.slice(-2000)}`);
    },
    kill: async (signal = 'SIGKILL') => {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** Starts the process and waits until it listens; throws (with what it printed) if it exits first. */
export async function startChildServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
  args: string[] = TSX_SERVER,
): Promise<ChildServer> {
  const server = spawnServer(env, args);
  const baseUrl = await server.listening(timeoutMs).catch(async (error: unknown) => {
    await server.kill();
    throw error;
  });
  if (!baseUrl)
    throw new Error(`the server exited before it listened:\n${server.stderr() || server.stdout().slice(-2000)}`);
  return { ...server, baseUrl };
}

// A real server process, as `npm start` runs it (src/server.ts under tsx), for tests that kill it: its port is
// read from its `listening` log line (PORT=0), its stderr is followed for failpoints (src/platform/failpoints.ts),
// and `kill` waits until the process is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN_EMAIL } from './server.js';

const root = join(import.meta.dirname, '..', '..');

export interface ChildServer {
  baseUrl: string;
  process: ChildProcess;
  /** Everything it wrote to stdout (JSON log lines) and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once it printed `failpoint <name>` (it then waits there until killed). */
  reached(name: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (SIGKILL by default) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The environment of a database from `databaseSettings()`. */
export function databaseEnv(settings: { databaseUrl?: string; databaseSchema?: string; dataDir?: string }): Record<string, string> {
  return settings.databaseUrl
    ? { DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: settings.databaseSchema ?? '' }
    : { DATABASE_URL: '', DATA_DIR: settings.dataDir! };
}

export async function startChildServer(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', REDIS_URL: '', ADMIN_EMAILS: ADMIN_EMAIL,
      RATE_LIMIT_SIGN_UP_PER_HOUR: '1000000', RATE_LIMIT_SIGN_IN_PER_15_MIN: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let changed: () => void = () => undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { changed(); resolve(); }));
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString('utf8'); changed(); });
  child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString('utf8'); changed(); });
  let gone = false;
  void exited.then(() => { gone = true; });

  /** Waits until `found()` gives a value, the process exits, or the time is up. */
  const until = async <T>(found: () => T | undefined, what: string, ms: number): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = found();
      if (value !== undefined) return value;
      if (gone) throw new Error(`the server exited before ${what}:\n${err || out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`no ${what} after ${ms} ms:\n${err || out.slice(-2000)}`);
      await new Promise<void>((resolve) => { const timer = setTimeout(resolve, 50); changed = () => { clearTimeout(timer); resolve(); }; });
    }
  };

  const port = await until(() => {
    for (const line of out.split('\n')) {
      if (!line.includes('"listening"')) continue;
      return (JSON.parse(line) as { port: number }).port;
    }
    return undefined;
  }, 'listening line', timeoutMs).catch((error: unknown) => { child.kill('SIGKILL'); throw error; });

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    process: child,
    stdout: () => out,
    stderr: () => err,
    reached: async (name, ms = 30_000) => { await until(() => (err.includes(`failpoint ${name}\n`) ? true : undefined), `failpoint ${name}`, ms); },
    kill: async (signal = 'SIGKILL') => {
      if (!gone) child.kill(signal);
      await exited;
    },
  };
}

// What the benchmark's processes share: how a child learns which database to use, and how the orchestrator
// starts children (node + tsx, with an IPC channel), talks to them and always stops them.
import { spawn, type ChildProcess } from 'node:child_process';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const benchDir = import.meta.dirname;

/** Which database a child works on; passed in its environment (BENCH_* variables). */
export interface DatabaseTarget {
  kind: 'postgres' | 'pglite';
  /** postgres: the server URL. */
  url?: string;
  /** postgres: the schema the bench owns (dropped and recreated on every run). */
  schema?: string;
  /** pglite: the data directory (one per process: two processes must never open one directory). */
  dataDir?: string;
}

export const POOL_MAX = 10;

export function targetToEnv(target: DatabaseTarget): Record<string, string> {
  return {
    BENCH_DB_KIND: target.kind,
    ...(target.url ? { BENCH_DB_URL: target.url } : {}),
    ...(target.schema ? { BENCH_DB_SCHEMA: target.schema } : {}),
    ...(target.dataDir ? { BENCH_DB_DIR: target.dataDir } : {}),
  };
}

export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): DatabaseTarget {
  const kind = env.BENCH_DB_KIND;
  if (kind !== 'postgres' && kind !== 'pglite') throw new Error('BENCH_DB_KIND must be postgres or pglite');
  return { kind, url: env.BENCH_DB_URL, schema: env.BENCH_DB_SCHEMA, dataDir: env.BENCH_DB_DIR };
}

/**
 * The platform's configuration as production runs it (NODE_ENV=production: responses validated on a 1%
 * sample, access log at info), over the bench's database. The log level can be changed with --log-level.
 */
export function benchConfig(target: DatabaseTarget, env: NodeJS.ProcessEnv = process.env): Config {
  const base = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'info' });
  return {
    ...base,
    host: '127.0.0.1',
    port: 0,
    databaseUrl: target.kind === 'postgres' ? target.url : undefined,
    databaseSchema: target.kind === 'postgres' ? target.schema : undefined,
    dataDir: target.dataDir ?? base.dataDir,
    poolMax: POOL_MAX,
    // Metrics are on, as in production, unless BENCH_METRICS=off (the `metrics` rows compare the two).
    metrics: env.BENCH_METRICS === 'off' ? undefined : base.metrics,
    // The agent chat's rows against an OpenAI-compatible server (the bench's fake): BENCH_AGENT_BASE_URL.
    agent: { ...base.agent, baseUrl: env.BENCH_AGENT_BASE_URL || base.agent.baseUrl },
    // Every request comes from one address: the per-IP limits on posts, joins and agent chats would answer
    // 429 within the first second. They are still counted, so their cost stays in the numbers.
    rateLimits: {
      ...base.rateLimits,
      loungeCreatesPerUser: 1e9,
      chargesPerUser: 1e9,
      agentChatsPerUser: 1e9,
      roomPostsPerUser: 1e9,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Children. Every child is a `node --import tsx FILE` process with an IPC channel; it reports with
// process.send({ type, ... }). The orchestrator keeps them all in one set and stops them whatever happens.

export interface Message {
  type: string;
  [key: string]: unknown;
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the next message of this type (rejects if the child exits first). */
  next<T extends Message = Message>(type: string, timeoutMs?: number): Promise<T>;
  send(message: Message): void;
  /** Sends a request and waits for the reply of type `${type}:reply`. */
  ask<T extends Message = Message>(message: Message, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

const children = new Set<Child>();

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
  /** Where the child's stdout goes: the server logs are discarded ('ignore') as a log shipper would take them. */
  stdout?: 'ignore' | 'inherit';
}

export function startChild(name: string, file: string, options: StartOptions = {}): Child {
  const proc = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', join(benchDir, file), ...(options.args ?? [])],
    {
      cwd: repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', options.stdout ?? 'ignore', 'inherit', 'ipc'],
    },
  );
  const inbox: Message[] = [];
  const waiters: Array<{ type: string; resolve: (m: Message) => void; reject: (e: Error) => void }> = [];
  let exited: Error | undefined;

  proc.on('message', (raw) => {
    const message = raw as Message;
    if (message.type === 'error') {
      const error = new Error(`${name}: ${String(message.message)}`);
      for (const waiter of waiters.splice(0)) waiter.reject(error);
      exited = error;
      return;
    }
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message);
    else inbox.push(message);
  });
  proc.on('exit', (code, signal) => {
    exited ??= new Error(`${name} exited (${signal ?? `code ${code}`})`);
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
    children.delete(child);
  });

  const child: Child = {
    name,
    process: proc,
    next<T extends Message>(type: string, timeoutMs = 120_000): Promise<T> {
      const queued = inbox.findIndex((m) => m.type === type);
      if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0] as T);
      if (exited) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      });
    },
    send(message: Message) {
      proc.send(message);
    },
    ask<T extends Message>(message: Message, timeoutMs?: number): Promise<T> {
      const reply = child.next<T>(`${message.type}:reply`, timeoutMs);
      proc.send(message);
      return reply;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
  children.add(child);
  return child;
}

/** Stops every child still running (each by its own process, never by name). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

// ---------------------------------------------------------------------------------------------------------
// Child side.

/** Sends a message to the orchestrator (printed to stderr when run by hand, without IPC). */
export function report(message: Message): void {
  if (process.send) process.send(message);
  else console.error(JSON.stringify(message));
}

/** Runs a child's main function; a failure is reported to the orchestrator and exits non-zero. */
export function runChild(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(message);
    report({ type: 'error', message });
    setTimeout(() => process.exit(1), 50);
  });
}

/** Exits cleanly (closing what `close` closes) on SIGTERM/SIGINT or when the orchestrator goes away. */
export function exitOnSignal(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    const forced = setTimeout(() => process.exit(0), 3_000);
    forced.unref();
    close()
      .catch(() => undefined)
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
}

/**
 * Serves `listener` on 127.0.0.1 (BENCH_PORT, else any free port), with the platform's HTTP server settings
 * (the bare server too, so both are measured alike), and resolves with the port. It counts the
 * requests and answers { type: 'stats' } with its CPU time, request count and requests still being answered
 * (a load generator that stops leaves some queued: a SQL trace waits for them to finish): the orchestrator takes the
 * difference around a measured run, server CPU per request, a number far less sensitive than req/s to what
 * else the 2 cores are doing. On exit it closes the server, then `close`.
 */
export async function serve(
  listener: RequestListener,
  close: () => Promise<void> = async () => undefined,
): Promise<number> {
  let requests = 0;
  let inFlight = 0;
  process.on('message', (raw) => {
    if ((raw as Message).type !== 'stats') return;
    const cpu = process.cpuUsage();
    const { rss, heapUsed } = process.memoryUsage();
    report({
      type: 'stats:reply',
      cpuUs: cpu.user + cpu.system,
      systemUs: cpu.system,
      requests,
      inFlight,
      rss,
      heapUsed,
    });
  });
  const server = createHttpServer(loadConfig().http, (req, res) => {
    requests += 1;
    inFlight += 1;
    // Koa's listener resolves when its middleware is done, which may be after the client has gone.
    const answered = listener(req, res) as unknown;
    if (answered instanceof Promise)
      void answered.finally(() => {
        inFlight -= 1;
      });
    else
      res.once('close', () => {
        inFlight -= 1;
      });
  });
  await new Promise<void>((resolve) => server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', resolve));
  exitOnSignal(async () => {
    server.closeAllConnections();
    server.close();
    await close();
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Runs `attempt` until `same` holds of its result, at most `tries` times, and returns the last result. A SQL
 * trace is a time window: a background job of the platform (the run worker's poll, once a second) can run a
 * statement inside it, and the next window is clean; a real difference repeats.
 */
export async function untilSame<T>(attempt: () => Promise<T>, same: (result: T) => boolean, tries = 3): Promise<T> {
  let result = await attempt();
  for (let i = 1; i < tries && !same(result); i++) result = await attempt();
  return result;
}

// Restarts, measured as a supervisor sees them (README, "Stopping and restarting"):
// - how long after a SIGKILL a restart on the same embedded database serves (/healthz), starting again at once
//   whenever a start exits (a refused start counts), against a clean stop (SIGTERM) and start;
// - what a production server's buffered access log (NODE_ENV=production) loses when it is killed (SIGKILL)
//   while requests come one per 200 ms, one per 50 ms, or as fast as 8 clients can send them, and when it is
//   stopped (SIGTERM): the answered requests without an access line, and how long before the signal the
//   oldest of them was answered.
//
//   npx tsx scripts/bench/restarts.ts [--rounds N] [--data-dir DIR]
//
// Each server is its own `node --import tsx src/server.ts` process, on PGlite in a temporary copy of
// --data-dir (or a new one, created and migrated first: ~5 s more).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..', '..');
const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, 'data-dir': { type: 'string' } } });
const rounds = Number(opts.rounds);

interface Server { child: ChildProcessWithoutNullStreams; url: string; stdout: string; exitCode?: number | null; exited: Promise<void> }

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function start(dataDir: string, port: number, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root, env: { ...process.env, NODE_ENV: '', LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' },
  });
  const server: Server = { child, url: `http://127.0.0.1:${port}`, stdout: '', exited: undefined! };
  child.stdout.on('data', (chunk) => { server.stdout += chunk; });
  child.stderr.resume();
  server.exited = new Promise((resolve) => child.on('exit', (code) => { server.exitCode = code; resolve(); }));
  return server;
}

/** true once /healthz answers, false if the process exits first. */
async function serving(server: Server): Promise<boolean> {
  for (;;) {
    if (server.exitCode !== undefined) return false;
    try {
      if ((await fetch(`${server.url}/healthz`)).ok) return true;
    } catch { /* not yet */ }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts until one start serves, as a supervisor restarting at once would. */
async function superviseStart(dataDir: string, port: number, env: Record<string, string> = {}): Promise<{ server: Server; starts: number }> {
  for (let starts = 1; ; starts++) {
    const server = await start(dataDir, port, env);
    if (await serving(server)) return { server, starts };
    await server.exited;
  }
}

async function stop(server: Server, signal: NodeJS.Signals): Promise<void> {
  server.child.kill(signal);
  await server.exited;
}

const ms = (since: number) => Math.round(performance.now() - since);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'restarts-bench-'));
const dataDir = join(work, 'data');
const port = await freePort();
try {
  if (opts['data-dir']) cpSync(opts['data-dir'], dataDir, { recursive: true });
  else {
    console.log('creating and migrating the embedded database...');
    await stop((await superviseStart(dataDir, port)).server, 'SIGTERM');
  }

  const clean: number[] = [];
  const afterKill: Array<{ serving: number; locked: number; starts: number }> = [];
  let running = (await superviseStart(dataDir, port)).server;
  for (let round = 0; round < rounds; round++) {
    await stop(running, 'SIGTERM');
    let mark = performance.now();
    running = (await superviseStart(dataDir, port)).server;
    clean.push(ms(mark));

    const killed = running.child.pid;
    await stop(running, 'SIGKILL');
    mark = performance.now();
    let locked = 0; // when the lock file first names another process than the killed one
    const watch = setInterval(() => {
      try {
        if (!locked && (JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')) as { pid: number }).pid !== killed) locked = ms(mark);
      } catch { /* being written */ }
    }, 10);
    const restarted = await superviseStart(dataDir, port);
    clearInterval(watch);
    afterKill.push({ serving: ms(mark), locked, starts: restarted.starts });
    running = restarted.server;
    console.log(`round ${round + 1}: clean stop and start serving after ${clean.at(-1)} ms; SIGKILL and restart serving after ${afterKill.at(-1)!.serving} ms ` +
      `(${locked ? `lock taken after ${locked} ms` : 'lock file not read'}, ${restarted.starts} start(s))`);
  }
  await stop(running, 'SIGTERM');
  console.log(`restart: clean stop/start median ${median(clean)} ms; after SIGKILL median ${median(afterKill.map((r) => r.serving))} ms, ` +
    `starts: ${afterKill.map((r) => r.starts).join(', ')}`);

  // The access log of a production server.
  const cases: Array<{ name: string; signal: NodeJS.Signals; clients: number; pauseMs: number; forMs: number }> = [
    { name: 'one request per 200 ms', signal: 'SIGKILL', clients: 1, pauseMs: 200, forMs: 3_000 },
    { name: 'one request per 50 ms', signal: 'SIGKILL', clients: 1, pauseMs: 50, forMs: 3_000 },
    { name: '8 clients, no pause', signal: 'SIGKILL', clients: 8, pauseMs: 0, forMs: 3_000 },
    { name: '8 clients, no pause', signal: 'SIGTERM', clients: 8, pauseMs: 0, forMs: 3_000 },
  ];
  for (const c of cases) {
    for (let round = 0; round < rounds; round++) {
      const { server } = await superviseStart(dataDir, port, { NODE_ENV: 'production', LOG_LEVEL: 'info' });
      const answered: Array<{ id: string; at: number }> = [];
      let n = 0;
      // A random stop time, so the signal falls anywhere in the flush interval.
      const until = performance.now() + c.forMs + Math.random() * 1000;
      await Promise.all(Array.from({ length: c.clients }, async () => {
        while (performance.now() < until) {
          const id = `bench-${n++}`;
          const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } });
          await response.arrayBuffer();
          answered.push({ id, at: performance.now() });
          if (c.pauseMs) await new Promise((resolve) => setTimeout(resolve, c.pauseMs));
        }
      }));
      const signalled = performance.now();
      await stop(server, c.signal);
      const logged = new Set(server.stdout.split('\n').filter((line) => line.includes('"msg":"request"')).map((line) => (JSON.parse(line) as { requestId: string }).requestId));
      const missing = answered.filter((a) => !logged.has(a.id));
      const bytes = server.stdout.split('\n').filter((line) => line.includes('"msg":"request"')).reduce((sum, line) => sum + line.length + 1, 0) / Math.max(1, logged.size);
      console.log(`log, ${c.signal}, ${c.name}: ${answered.length} answered, ${missing.length} without an access line` +
        (missing.length ? ` (the oldest answered ${Math.round(signalled - Math.min(...missing.map((m) => m.at)))} ms before the signal)` : '') + `; ${Math.round(bytes)} bytes a line`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

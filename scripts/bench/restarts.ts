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
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnServer, type ServerProcess } from '../../test/helpers/child-server.js';

const { values: opts } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'data-dir': { type: 'string' } },
});
const rounds = Number(opts.rounds);

type Server = ServerProcess & { url: string };

function start(dataDir: string, env: Record<string, string> = {}): Server {
  return Object.assign(spawnServer({ NODE_ENV: '', ...env, DATA_DIR: dataDir, DATABASE_URL: '' }), { url: '' });
}

/** true once it listens, false if the process exits first. */
async function serving(server: Server): Promise<boolean> {
  const url = await server.listening();
  if (url) server.url = url;
  return url !== undefined;
}

/** Starts until one start serves, as a supervisor restarting at once would. */
async function superviseStart(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ server: Server; starts: number }> {
  for (let starts = 1; ; starts++) {
    const server = start(dataDir, env);
    if (await serving(server)) return { server, starts };
    await server.exited;
  }
}

async function stop(server: Server, signal: NodeJS.Signals): Promise<void> {
  await server.kill(signal);
}

const ms = (since: number) => Math.round(performance.now() - since);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'restarts-bench-'));
const dataDir = join(work, 'data');
try {
  if (opts['data-dir']) cpSync(opts['data-dir'], dataDir, { recursive: true });
  else {
    console.log('creating and migrating the embedded database...');
    await stop((await superviseStart(dataDir)).server, 'SIGTERM');
  }

  const clean: number[] = [];
  const afterKill: Array<{ serving: number; locked: number; starts: number }> = [];
  let running = (await superviseStart(dataDir)).server;
  for (let round = 0; round < rounds; round++) {
    await stop(running, 'SIGTERM');
    let mark = performance.now();
    running = (await superviseStart(dataDir)).server;
    clean.push(ms(mark));

    const killed = running.process.pid;
    await stop(running, 'SIGKILL');
    mark = performance.now();
    let locked = 0; // when the lock file first names another process than the killed one
    const watch = setInterval(() => {
      try {
        if (!locked && (JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8')) as { pid: number }).pid !== killed)
          locked = ms(mark);
      } catch {
        /* being written */
      }
    }, 10);
    const restarted = await superviseStart(dataDir);
    clearInterval(watch);
    afterKill.push({ serving: ms(mark), locked, starts: restarted.starts });
    running = restarted.server;
    console.log(
      `round ${round + 1}: clean stop and start serving after ${clean.at(-1)} ms; SIGKILL and restart serving after ${afterKill.at(-1)!.serving} ms ` +
        `(${locked ? `lock taken after ${locked} ms` : 'lock file not read'}, ${restarted.starts} start(s))`,
    );
  }
  await stop(running, 'SIGTERM');
  console.log(
    `restart: clean stop/start median ${median(clean)} ms; after SIGKILL median ${median(afterKill.map((r) => r.serving))} ms, ` +
      `starts: ${afterKill.map((r) => r.starts).join(', ')}`,
  );

  // The access log of a production server.
  const cases: Array<{ name: string; signal: NodeJS.Signals; clients: number; pauseMs: number; forMs: number }> = [
    { name: 'one request per 200 ms', signal: 'SIGKILL', clients: 1, pauseMs: 200, forMs: 3_000 },
    { name: 'one request per 50 ms', signal: 'SIGKILL', clients: 1, pauseMs: 50, forMs: 3_000 },
    { name: '8 clients, no pause', signal: 'SIGKILL', clients: 8, pauseMs: 0, forMs: 3_000 },
    { name: '8 clients, no pause', signal: 'SIGTERM', clients: 8, pauseMs: 0, forMs: 3_000 },
  ];
  for (const c of cases) {
    for (let round = 0; round < rounds; round++) {
      const { server } = await superviseStart(dataDir, { NODE_ENV: 'production' });
      const answered: Array<{ id: string; at: number }> = [];
      let n = 0;
      // A random stop time, so the signal falls anywhere in the flush interval.
      const until = performance.now() + c.forMs + Math.random() * 1000;
      await Promise.all(
        Array.from({ length: c.clients }, async () => {
          while (performance.now() < until) {
            const id = `bench-${n++}`;
            const response = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': id } });
            await response.arrayBuffer();
            answered.push({ id, at: performance.now() });
            if (c.pauseMs) await new Promise((resolve) => setTimeout(resolve, c.pauseMs));
          }
        }),
      );
      const signalled = performance.now();
      await stop(server, c.signal);
      const logged = new Set(
        server
          .stdout()
          .split('\n')
          .filter((line) => line.includes('"msg":"request"'))
          .map((line) => (JSON.parse(line) as { requestId: string }).requestId),
      );
      const missing = answered.filter((a) => !logged.has(a.id));
      const bytes =
        server
          .stdout()
          .split('\n')
          .filter((line) => line.includes('"msg":"request"'))
          .reduce((sum, line) => sum + line.length + 1, 0) / Math.max(1, logged.size);
      console.log(
        `log, ${c.signal}, ${c.name}: ${answered.length} answered, ${missing.length} without an access line` +
          (missing.length
            ? ` (the oldest answered ${Math.round(signalled - Math.min(...missing.map((m) => m.at)))} ms before the signal)`
            : '') +
          `; ${Math.round(bytes)} bytes a line`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

// `npx tsx scripts/bench/metrics-instructions.ts`: what metrics cost a request in CPU instructions, counted by
// valgrind (callgrind), not timed. Wall-clock rows on this shared 2-core machine differ by a few percent between
// two identical processes in one run (docs/benchmarks.md, "Metrics on vs off": the control column); an
// instruction count does not depend on how fast the machine runs, only on the work done (but for work driven by
// the clock: see where the servers start), so it can resolve 1-2%.
//
// Two server processes, one with metrics on and one with METRICS=off (this file with `serve`: buildApp +
// node:http, the product's own code, NODE_ENV=production), one after the other, each under `valgrind
// --tool=callgrind --instr-atstart=no`, warmed up uncounted, then counted over WINDOWS windows of N requests per
// path (callgrind_control switches the counting on and dumps each window). Every thread of a process
// is counted: the main thread, V8's GC and compiler threads, libuv's; the kernel's work is not. The requests come
// from this process, outside valgrind, CONCURRENCY at a time. Counting slows a server ~50x, so this measures
// instructions only, never time; run it on a quiet machine all the same (see the note where the servers start).
//
// Data: a scratch schema on PostgreSQL (DATABASE_URL or the local default; dropped at the end) with SPACES public
// spaces made by the product's services, and a token for the detail (an authenticated read).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const URL_ = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env.N ?? 400);
const WINDOWS = Number(process.env.WINDOWS ?? 3);
const WARMUP = Number(process.env.WARMUP ?? 3000);
const SPACES = Number(process.env.SPACES ?? 40);
const CONCURRENCY = 8;

/** The server: the platform as production runs it, metrics on unless METRICS=off; prints its port. */
async function serve(): Promise<void> {
  const [{ buildApp }, { loadConfig }, { createHttpServer }, { openDatabase }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/config.js'),
    import('../../src/http/http-server.js'),
    import('../../src/platform/database.js'),
  ]);
  const base = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'info', METRICS: process.env.METRICS ?? '' });
  const config = {
    ...base,
    databaseUrl: URL_,
    databaseSchema: process.env.SCHEMA,
    metrics: base.metrics && { ...base.metrics, port: 0 },
  };
  const database = await openDatabase(config);
  const platform = await buildApp(config, { database, jobs: false });
  const metricsServer = platform.metrics
    ? await (await import('../../src/http/metrics-server.js')).startMetricsServer(platform.metrics, '127.0.0.1', 0)
    : undefined;
  const server = createHttpServer(config.http, platform.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // The access log goes to /dev/null (as a log shipper would take it), not to the orchestrator's pipe.
  console.error(`PORT ${(server.address() as AddressInfo).port}`);
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    void metricsServer?.close();
    void platform.close().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  const { openDatabase } = await import('../../src/platform/database.js');
  const { loadConfig } = await import('../../src/config.js');
  const { createServices } = await import('../../src/services.js');
  const { systemClock } = await import('../../src/platform/clock.js');
  const { contractBody } = await import('../../src/platform/contract-body.js');
  const { parseRendered } = await import('../../src/platform/rendered.js');
  const schema = `metrics_ir_${process.pid}`;
  const config = { ...loadConfig({ NODE_ENV: 'production' }), databaseUrl: URL_, databaseSchema: schema };
  const database = await openDatabase(config);
  const dir = mkdtempSync(join(tmpdir(), 'metrics-ir-'));
  try {
    const services = createServices(database, config, systemClock);
    const { token } = await services.auth.signUp({ name: 'IR', email: 'ir@example.com', password: 'bench-password-1' });
    const owner = (await services.auth.authenticate({ scheme: 'bearerAuth', token }))!;
    let spaceId = '';
    for (let i = 0; i < SPACES; i += 1) {
      const space = await services.spaces.create(
        owner,
        contractBody('createSpace', {
          name: `Counted space ${i}`,
          description: 'A space the instruction count reads.',
          category: 'social',
          tags: ['bench', `tag${i % 10}`],
          definition: { layout: 'grid', seat: i },
        }),
      );
      spaceId = parseRendered(space).id;
    }
    const paths = [
      { label: 'GET /api/spaces (page 1)', path: '/api/spaces?page=1', token: undefined },
      { label: 'GET /api/spaces/{id}', path: `/api/spaces/${spaceId}`, token },
    ];
    // One server at a time: work driven by the clock rather than by requests (timers, V8's idle-time GC) runs
    // ~50x more often per request under valgrind, and a second server (or anything else on the machine) stretches
    // it further; the windows it lands in read up to 5x the others. Measured both ways: two servers up at once
    // read +18% where one at a time read +1 to +3%. So the fewest instructions a window took is the estimate.
    const counts: Record<string, Record<'on' | 'off', number[]>> = {};
    for (const metrics of ['on', 'off'] as const) {
      const prefix = `callgrind.${metrics}`;
      const server = await startCounted(schema, metrics, join(dir, prefix));
      try {
        for (const { label, path, token } of paths) {
          await load(server.port, path, token, WARMUP);
          const windows: number[] = [];
          for (let w = 0; w < WINDOWS; w += 1) {
            callgrindControl(server.pid, '--instr=on');
            await load(server.port, path, token, N);
            callgrindControl(server.pid, '--instr=off');
            callgrindControl(server.pid, '--dump');
            windows.push(lastDumpTotal(dir, prefix) / N);
          }
          (counts[label] ??= { on: [], off: [] })[metrics] = windows;
        }
      } finally {
        await server.stop();
      }
    }
    const thousands = (n: number) => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const percent = (r: number) => `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%`;
    for (const [label, { on, off }] of Object.entries(counts))
      console.log(
        `${label}: instructions a request, ${WINDOWS} windows of ${N} each\n` +
          `  on:  ${on.map(thousands).join(', ')}\n  off: ${off.map(thousands).join(', ')}\n` +
          `  metrics cost: ${percent(Math.min(...on) / Math.min(...off))} (fewest against fewest; medians ${percent(median(on) / median(off))})`,
      );
  } finally {
    await database.knex.raw('drop schema if exists ?? cascade', [schema]);
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Counted {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** This file's `serve` under callgrind, counting nothing until told. */
async function startCounted(schema: string, metrics: string, out: string): Promise<Counted> {
  const child: ChildProcess = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      'serve',
    ],
    { env: { ...process.env, SCHEMA: schema, METRICS: metrics }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /PORT (\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${seen.slice(-2000)}`)));
  });
  return {
    pid: child.pid!,
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function callgrindControl(pid: number, command: string): void {
  execFileSync('callgrind_control', [command, String(pid)], { stdio: 'ignore' });
}

/** The total instruction count (Ir) of the newest dump callgrind wrote for this server. */
function lastDumpTotal(dir: string, prefix: string): number {
  const dumps = readdirSync(dir)
    .filter((name) => name.startsWith(`${prefix}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const text = readFileSync(join(dir, dumps.at(-1)!), 'utf8');
  const total = /^totals: (\d+)/m.exec(text);
  if (!total) throw new Error(`no total in ${dumps.at(-1)}`);
  return Number(total[1]);
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** `count` requests to `path`, CONCURRENCY at a time; every answer must be 200. */
async function load(port: number, path: string, token: string | undefined, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next += 1;
        const status = await new Promise<number>((resolve, reject) => {
          const headers: Record<string, string> = { accept: 'application/json' };
          if (token) headers.authorization = `Bearer ${token}`;
          const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
        if (status !== 200) throw new Error(`${path} answered ${status}`);
      }
    }),
  );
}

if (process.argv[2] === 'serve') await serve();
else {
  await main();
  agent.destroy();
}

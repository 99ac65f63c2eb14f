// Start-up time of the server process, `npm start` (tsx: TypeScript compiled as it loads) against
// `npm run start:prod` (node dist/src/server.js, from `npm run build`), on an already migrated database:
// PGlite in a temporary data directory, and PostgreSQL when --database-url is given (a schema of its own,
// dropped at the end). The runs alternate between the two, so a change of the machine's load hits both.
// Reported per case: the median (and min-max) of the server's own `startupMs` (process start to listening, from
// its `listening` log line) and of the wall time from spawning the process to that line; the load average
// before and after.
//
//   npx tsx --conditions source scripts/bench/start-compiled.ts [--rounds N] [--database-url postgres://...]
//
// Needs a current build (`npm run build`; checked against the sources' hash).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { spawnServer, TSX_SERVER } from '../../test/helpers/child-server.js';
import { buildIsCurrent, repoRoot } from '../build.js';

const { values: opts } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, 'database-url': { type: 'string' } },
});
const rounds = Number(opts.rounds);
if (!buildIsCurrent()) {
  console.error('dist/ is missing or older than the sources: run `npm run build` first.');
  process.exit(1);
}
const COMPILED = [join(repoRoot, 'dist', 'src', 'server.js')];

interface Sample {
  startupMs: number;
  wallMs: number;
}

/** One start to `listening`, then a clean stop (SIGTERM). */
async function once(args: string[], env: Record<string, string>): Promise<Sample> {
  const spawned = performance.now();
  const server = spawnServer({ NODE_ENV: 'production', ...env }, args);
  const url = await server.listening(120_000);
  const wallMs = performance.now() - spawned;
  if (!url) throw new Error(`the server exited before it listened:\n${server.stderr() || server.stdout()}`);
  const line = server
    .stdout()
    .split('\n')
    .find((l) => l.includes('"msg":"listening"'))!;
  const { startupMs } = JSON.parse(line) as { startupMs: number };
  const code = await server.kill('SIGTERM');
  if (code !== 0) throw new Error(`the server stopped with ${code}:\n${server.stderr()}`);
  return { startupMs, wallMs };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const summary = (samples: Sample[], key: keyof Sample) => {
  const values = samples.map((s) => s[key]);
  return `${Math.round(median(values))} ms (${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))})`;
};

async function measure(name: string, env: Record<string, string>): Promise<void> {
  await once(TSX_SERVER, env); // migrates the new database (and, on PGlite, creates it): not counted
  const results: Record<'tsx' | 'compiled', Sample[]> = { tsx: [], compiled: [] };
  for (let round = 0; round < rounds; round++) {
    results.tsx.push(await once(TSX_SERVER, env));
    results.compiled.push(await once(COMPILED, env));
  }
  for (const [how, samples] of Object.entries(results))
    console.log(
      `${name.padEnd(10)} ${how.padEnd(9)} startupMs median ${summary(samples, 'startupMs')}, spawn to listening ${summary(samples, 'wallMs')}`,
    );
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(`load average before: ${load()} (1, 5, 15 min); ${rounds} rounds per case, alternating`);
const dir = mkdtempSync(join(tmpdir(), 'platform-startup-'));
try {
  await measure('PGlite', { DATABASE_URL: '', DATA_DIR: join(dir, 'data') });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (opts['database-url']) {
  const schema = `startup_bench_${process.pid}`;
  try {
    await measure('PostgreSQL', { DATABASE_URL: opts['database-url'], DATABASE_SCHEMA: schema });
  } finally {
    const client = new pg.Client({ connectionString: opts['database-url'] });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }
}
console.log(`load average after: ${load()}`);

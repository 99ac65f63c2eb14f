// `npx tsx scripts/bench/metrics-ab.ts`: the CPU a request costs with metrics on vs off, in ONE process: two
// apps built by the product's buildApp over two connections to one database (PostgreSQL at DATABASE_URL or the
// local default, in a scratch schema dropped at the end), one with metrics (its listener scraped every second),
// one with METRICS=off, each on its own port, loaded in alternating batches by a client in the same process.
// The process's CPU time per request is client + server; the client's part is the same for both, so the
// difference is what metrics cost. Alternating short batches and taking medians keeps a busy shared machine
// from favouring one side: CPU time moves far less than throughput with what else the cores do.
import { request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, type Platform } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { startMetricsServer } from '../../src/http/metrics-server.js';
import { openDatabase } from '../../src/platform/database.js';

const URL_ = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `metrics_ab_${process.pid}`;
const BATCH = Number(process.env.BATCH ?? 400);
const PAIRS = Number(process.env.PAIRS ?? 15);
const CONCURRENCY = 8;
/** How often the metrics app's listener is scraped (Prometheus' default is 15 s; 0: never). */
const SCRAPE_MS = Number(process.env.SCRAPE_MS ?? 1000);
const PATHS = (process.env.PATHS ?? '/api/spaces?page=1,/api/spaces/00000000-0000-4000-8000-000000000000').split(',');

async function serveApp(metrics: boolean): Promise<{ platform: Platform; port: number; stop(): Promise<void> }> {
  const base = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', ...(metrics ? {} : { METRICS: 'off' }) });
  const config = { ...base, databaseUrl: URL_, databaseSchema: SCHEMA };
  const database = await openDatabase(config);
  const platform = await buildApp(config, { database, jobs: false });
  const server = createHttpServer(config.http, platform.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scraper = platform.metrics ? await startMetricsServer(platform.metrics, '127.0.0.1', 0) : undefined;
  const timer =
    scraper &&
    SCRAPE_MS > 0 &&
    setInterval(() => void fetch(`http://127.0.0.1:${scraper.port}/metrics`).then((r) => r.text()), SCRAPE_MS);
  return {
    platform,
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      if (timer) clearInterval(timer);
      await scraper?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await platform.close();
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** CPU µs of this whole process per request over `BATCH` requests, CONCURRENCY at a time. */
async function batch(port: number, path: string): Promise<number> {
  const started = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < BATCH) {
        next += 1;
        await get(port, path);
      }
    }),
  );
  const used = process.cpuUsage(started);
  return (used.user + used.system) / BATCH;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// AA=1: both apps without metrics, the same comparison: what this measurement reads with nothing to find.
// SWAP=1: the app without metrics built first.
const swap = process.env.SWAP === '1';
const first = await serveApp(swap ? false : process.env.AA !== '1');
const second = await serveApp(swap ? process.env.AA !== '1' : false);
const [on, off] = swap ? [second, first] : [first, second];
try {
  for (const path of PATHS) {
    const status = await get(on.port, path);
    for (let i = 0; i < 3; i += 1) {
      await batch(on.port, path); // warm-up: both apps' code paths compiled, their connections open
      await batch(off.port, path);
    }
    const pairs: Array<{ on: number; off: number }> = [];
    for (let i = 0; i < PAIRS; i += 1) {
      // Alternating order, so that drift favours neither.
      if (i % 2 === 0) pairs.push({ on: await batch(on.port, path), off: await batch(off.port, path) });
      else {
        const o = await batch(off.port, path);
        pairs.push({ on: await batch(on.port, path), off: o });
      }
    }
    const onUs = median(pairs.map((p) => p.on));
    const offUs = median(pairs.map((p) => p.off));
    const diffUs = median(pairs.map((p) => p.on - p.off));
    console.log(
      `GET ${path} (${status}): ${PAIRS} pairs of ${BATCH} requests, process CPU per request (client + server), medians: ` +
        `on ${onUs.toFixed(0)} µs, off ${offUs.toFixed(0)} µs; paired difference ${diffUs.toFixed(1)} µs ` +
        `(${((100 * diffUs) / offUs).toFixed(1)}% of the whole, client included)`,
    );
  }
} finally {
  await on.stop();
  await off.stop();
  const cleanup = await openDatabase({ databaseUrl: URL_, dataDir: '', poolMax: 1 }, { migrate: false });
  await cleanup.knex.raw('drop schema if exists ?? cascade', [SCHEMA]);
  await cleanup.close();
  agent.destroy();
}

// `npx tsx scripts/bench/metrics-micro.ts`: what the metrics cost one request in-process, alone: the in-flight
// gauge and the request's counter and three histograms (src/platform/metrics.ts, as src/http/middleware.ts
// calls them), against the same loop without them. Also what a scrape costs, with the children of every
// operation created. No server, no database: the product's own Metrics class.
import { operations } from '../../generated/server/index.js';
import { Metrics } from '../../src/platform/metrics.js';

const N = Number(process.env.N ?? 1_000_000);
const metrics = new Metrics();
const ops = operations.slice(0, 20).map((op) => ({ operation: op.operationId, method: op.method }));
let sink = 0;

function loop(record: boolean): number {
  const started = process.cpuUsage();
  for (let i = 0; i < N; i += 1) {
    const op = ops[i % ops.length]!;
    const status = i % 10 === 0 ? 404 : 200;
    if (record) {
      const inFlight = metrics.requestStarted(op.method);
      inFlight.n -= 1;
      metrics.requestEnded({
        operation: op.operation,
        method: op.method,
        status,
        seconds: (i % 50) / 1000,
        requestBytes: 0,
        responseBytes: 1200 + (i % 5000),
      });
    } else {
      sink += status + op.operation.length; // the loop's own work, kept
    }
  }
  const used = process.cpuUsage(started);
  return ((used.user + used.system) * 1000) / N; // ns per request
}

for (let round = 0; round < 2; round += 1) loop(true); // warm up, children created
loop(false);
const results: Array<{ with: number; without: number }> = [];
for (let round = 0; round < 5; round += 1) results.push({ with: loop(true), without: loop(false) });
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const withNs = median(results.map((r) => r.with));
const withoutNs = median(results.map((r) => r.without));

// Every operation's children, as a long-running server would have them, then scrapes.
for (const op of operations)
  for (const status of [200, 404, 500])
    metrics.requestEnded({
      operation: op.operationId,
      method: op.method,
      status,
      seconds: 0.01,
      requestBytes: 0,
      responseBytes: 10,
    });
const scrapes: number[] = [];
let bytes = 0;
for (let i = 0; i < 20; i += 1) {
  const started = performance.now();
  bytes = (await metrics.exposition()).body.length;
  scrapes.push(performance.now() - started);
}
console.log(
  `${N.toLocaleString('en-US')} requests x 5 rounds (medians): recording ${(withNs - withoutNs).toFixed(0)} ns CPU per request ` +
    `(${withNs.toFixed(0)} with, ${withoutNs.toFixed(0)} without); a scrape with all ${operations.length} operations x 3 status classes: ` +
    `${median(scrapes).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB${sink < 0 ? '' : ''}`,
);

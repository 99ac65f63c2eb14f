// `npm start`: migrate and serve. On SIGTERM/SIGINT, in named phases logged one by one: stop accepting, cut live
// room streams off (their clients reconnect and resume), let in-flight requests and agent calls finish (10 s at
// most), stop the workers (calls still running then are refunded), then close Redis and the database
// (releasing the embedded database's lock, or the event bus's listening connection), export the last spans when
// tracing is on, and exit once the log is written, even when a phase of the stop fails (exit code 1).
import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.js';
import { demoSummary } from './demo/summary.js';
import { createHttpServer } from './http/http-server.js';
import { serveMetrics } from './http/metrics-server.js';
import { openDatabase } from './platform/database.js';
import { startTracing } from './platform/tracing.js';

const started = performance.now();
const config = loadConfig();
const fail = (error: unknown): never => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
};
// Traces (only when OTEL_* ask for them) before the database, whose client then traces its statements.
const tracing = config.tracing ? await startTracing().catch(fail) : undefined;
// Open (on a first start: create) and migrate the database while the rest of the app loads.
const opening = openDatabase(config);
opening.catch(() => undefined);
const { buildApp } = await import('./app.js');
const database = await opening.catch(fail);
const platform = await buildApp(config, { database }).catch((error: unknown) =>
  database
    .close()
    .catch(() => undefined)
    .then(() => fail(error)),
);
tracing?.logTo(platform.log);
// Metrics first, on their own listener: a taken METRICS_PORT stops the start before the API accepts anyone.
const metricsServer =
  platform.metrics && config.metrics
    ? await serveMetrics(platform.metrics, config.metrics, (message) => platform.log.warn(message)).catch(
        (error: Error) => platform.close().finally(() => fail(error.message)),
      )
    : undefined;
const server = createHttpServer(config.http, platform.callback);
server.on('error', (error: NodeJS.ErrnoException) => {
  if (server.listening) return; // after the start, errors belong to their connections
  const { port, host } = config;
  const reason =
    error.code === 'EADDRINUSE'
      ? `Port ${port} is already in use on ${host}: stop the process that holds it, or set PORT to a free port.`
      : error.code === 'EACCES'
        ? `Port ${port} on ${host} needs privileges this process does not have: set PORT to a port above 1024.`
        : error.code === 'EADDRNOTAVAIL'
          ? `Cannot listen on ${host}:${port}: this machine has no such address; set HOST to one of its addresses, or 0.0.0.0.`
          : `Cannot listen on ${host}:${port}: ${error.message}`;
  void Promise.all([metricsServer?.close(), platform.close()]).finally(() => fail(reason));
});
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo; // the one the system chose when PORT is 0
  platform.log.info(
    {
      port,
      database:
        platform.database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)',
      startupMs: Math.round(performance.now() - started),
      ...(metricsServer && { metrics: `http://${config.metrics!.host}:${metricsServer.port}/metrics` }),
      docs: `http://localhost:${port}/docs`,
    },
    'listening',
  );
  platform.log.flush();
  if (config.demo) console.log(demoSummary(`http://localhost:${port}`));
});

// The stop's phases, in order, each logged with its duration (src/platform/shutdown.ts); `/readyz` answers 503
// from the first. Requests in flight and agent calls share one deadline: 10 s from the signal.
async function shutdown(signal: string) {
  if (platform.shutdown.phase !== undefined) return; // a second signal: the stop is under way
  const deadline = Date.now() + 10_000;
  let forced: NodeJS.Timeout | undefined;
  let closed: Promise<void> = Promise.resolve();
  const { failed } = await platform.shutdown.run(
    {
      'stop-accepting': () => {
        closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
      },
      // Endless by design: cut now, their clients resume on another instance.
      'cut-streams': () => platform.endStreams(),
      'finish-requests': async () => {
        forced = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now())).unref();
        await closed;
        clearTimeout(forced);
        platform.log.flush(); // every answered request's access line is logged now: write it before closing the database
      },
      // Agent calls whose client left go on in the background: let them finish too; stop-workers refunds the rest.
      'finish-agent-calls': () => platform.services.communityAgentCalls.idle(deadline - Date.now()),
      'stop-workers': () => platform.stopWorkers(),
      // Metrics are served until here, so a scrape during the stop sees its phases.
      'close-connections': async () => {
        await metricsServer?.close();
        await platform.closeConnections();
        // The spans still buffered are exported; a collector that does not answer does not fail the stop.
        await tracing
          ?.shutdown()
          .catch((error: unknown) => platform.log.warn({ err: error }, 'exporting the last traces failed'));
      },
    },
    platform.log,
    signal,
  );
  // Exit once the log is written: flush's callback runs when the buffered destination (production) has no
  // write in flight, which exiting could cut short; pino's exit hook writes whatever is logged after that.
  platform.log.flush(() => process.exit(failed.length ? 1 : 0));
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

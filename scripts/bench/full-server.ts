// Child process: the whole platform, as `npm start` runs it (buildApp + node:http), over the seeded database,
// its services untouched. It measures its own start-up: loading the app's modules, opening the database
// (already migrated), and buildApp given that open database (contract parsing, openapi-backend init, router,
// handlers).
import { tracesWanted } from '../../src/config.js';
import { startTracing } from '../../src/platform/tracing.js';
import { benchConfig, report, runChild, serve, targetFromEnv } from './common.js';
import { installSqlTrace } from './sql-trace.js';

runChild(async () => {
  const config = benchConfig(targetFromEnv());

  let mark = performance.now();
  const [{ buildApp }, { openDatabase }] = await Promise.all([
    import('../../src/app.js'),
    import('../../src/platform/database.js'),
  ]);
  const importMs = performance.now() - mark;
  const { operations } = await import('../../generated/server/index.js'); // loaded by app.js already

  // openapi-backend's init() is most of buildApp: a timing wrapper (it calls the original) on the library's
  // prototype, before buildApp constructs its instance. Nothing of the platform's is replaced.
  const { OpenAPIBackend } = await import('openapi-backend');
  const init = OpenAPIBackend.prototype.init;
  let backendInitMs = 0;
  OpenAPIBackend.prototype.init = async function timedInit(this: InstanceType<typeof OpenAPIBackend>) {
    const started = performance.now();
    try {
      return await init.call(this);
    } finally {
      backendInitMs += performance.now() - started;
    }
  };

  // Traces when the OTEL variables ask for them (the `traces` row), before the database as server.ts does.
  if (tracesWanted(process.env)) await startTracing();
  mark = performance.now();
  const database = await openDatabase(config);
  const openDatabaseMs = performance.now() - mark;

  mark = performance.now();
  const platform = await buildApp(config, { database });
  const buildAppMs = performance.now() - mark;

  // Metrics as `npm start` serves them: their own listener, scraped by the orchestrator while the load runs
  // (from outside, as Prometheus does: the scraping client's work is not the server's).
  const metricsServer = platform.metrics
    ? await (await import('../../src/http/metrics-server.js')).startMetricsServer(platform.metrics, '127.0.0.1', 0)
    : undefined;
  const port = await serve(platform.callback, async () => {
    await metricsServer?.close();
    await platform.close();
  });
  installSqlTrace(platform.database.knex);
  report({
    type: 'ready',
    port,
    metricsPort: metricsServer?.port,
    startup: {
      operations: operations.length,
      importMs: Math.round(importMs),
      openDatabaseMs: Math.round(openDatabaseMs),
      buildAppMs: Math.round(buildAppMs),
      backendInitMs: Math.round(backendInitMs),
      sinceProcessStartMs: Math.round(performance.now()),
    },
  });
});

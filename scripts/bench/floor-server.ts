// Child process: the design's floor. Only what the design fixes: Koa, openapi-backend over the full contract
// routed by installRouter (as buildApp configures it), the platform's knex (openDatabase), and the browse's
// rendered statement, run as the spaces service runs it (renderPage). None of the platform's per-request
// work: no request id, access log, metrics, CORS, compression, authentication, input parsing or validation,
// rate limits or response checks. The full stack's distance from it is what that work costs; its distance from
// the limit server is what Koa, openapi-backend and knex cost.
import Koa from 'koa';
import { openDatabase } from '../../src/platform/database.js';
import { renderPage } from '../../src/platform/rendered.js';
import { spaceListQuery } from '../../src/spaces/index.js';
import { benchConfig, report, runChild, serve, targetFromEnv } from './common.js';
import { routingBackend } from './routing.js';
import { installSqlTrace } from './sql-trace.js';

runChild(async () => {
  const database = await openDatabase(benchConfig(targetFromEnv()));
  const { api } = await routingBackend('full', 'ours');
  api.register('listSpaces', async (_routed: unknown, koa: Koa.Context) => {
    // The bench's list requests are well formed: read as they come, unchecked.
    const { sql, values } = spaceListQuery({ page: Number(koa.query.page ?? 1), limit: Number(koa.query.limit ?? 20) });
    const body = await renderPage(database.knex, sql, values);
    koa.type = 'application/json';
    koa.body = body.json;
  });
  const app = new Koa();
  app.silent = true; // clients dropping connections at the end of a run are not news
  app.use(async (koa) => {
    await api.handleRequest(
      { method: koa.method, path: koa.path, headers: koa.headers as Record<string, string> },
      koa,
    );
  });
  installSqlTrace(database.knex);
  report({ type: 'ready', port: await serve(app.callback(), () => database.close()) });
});

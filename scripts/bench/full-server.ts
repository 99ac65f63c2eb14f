// Child process: the whole platform, as `npm start` runs it (buildApp + node:http), over the seeded database.
// It measures its own start-up: loading the app's modules, opening the database (already migrated), and
// buildApp given that open database (contract parsing, openapi-backend init, router, handlers).
//
// With BENCH_DATA_ACCESS=knex it is the attribution experiment: the same platform (openapi-backend, installRouter,
// validation, security handlers, request ids, access log, handlers), but the session lookup and the spaces
// get / create the benchmark calls run the bare server's knex code (same SQL) instead of the platform's
// services. Its distance to the full stack is what the services' data-access code costs beyond bare knex
// (it was Objection: ~0.4-0.9 ms per request); its distance to bare, what the HTTP/contract layer costs.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Platform } from '../../src/app.js';
import type { Principal } from '../../src/platform/principal.js';
import { notFound } from '../../src/platform/errors.js';
import { benchConfig, countRequests, exitOnSignal, report, runChild, targetFromEnv } from './common.js';
import { installSqlTrace } from './sql-trace.js';
import { BareQueries } from './bare-queries.js';

function useKnexDataAccess(platform: Platform, config: { adminEmails: ReadonlySet<string> }): void {
  const bare = new BareQueries(platform.database.knex);
  const { auth, spaces } = platform.services;
  const authenticate = auth.authenticate.bind(auth);
  auth.authenticate = async (credential) => {
    if (credential.scheme === 'apiKeyHeader') return authenticate(credential);
    const found = await bare.session(`Bearer ${credential.token}`);
    if (!found) return undefined;
    return { user: found.user, scheme: credential.scheme, method: 'session', expiresAt: found.expiresAt, isAdmin: config.adminEmails.has(found.user.email) } as Principal;
  };
  spaces.get = async (principal, id) => {
    const space = await bare.get(principal.user.id, id);
    if (!space) throw notFound();
    return space as Awaited<ReturnType<typeof spaces.get>>;
  };
  spaces.create = async (principal, input) => bare.create(principal.user.id, input as Record<string, unknown>) as ReturnType<typeof spaces.create>;
}

runChild(async () => {
  const target = targetFromEnv();
  const config = benchConfig(target);

  let mark = performance.now();
  const [{ buildApp }, { openDatabase }] = await Promise.all([import('../../src/app.js'), import('../../src/platform/database.js')]);
  const importMs = performance.now() - mark;

  // Time openapi-backend's init() inside buildApp (measurement only: the wrapper calls the original).
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

  mark = performance.now();
  const database = await openDatabase(config);
  const openDatabaseMs = performance.now() - mark;

  mark = performance.now();
  const platform = await buildApp(config, { database });
  const buildAppMs = performance.now() - mark;
  if (process.env.BENCH_DATA_ACCESS === 'knex') useKnexDataAccess(platform, config);

  const server = createServer(countRequests(platform.callback));
  await new Promise<void>((resolve) => server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', resolve));
  installSqlTrace(platform.database.knex);
  exitOnSignal(async () => {
    server.closeAllConnections();
    server.close();
    await platform.close();
  });
  report({
    type: 'ready',
    port: (server.address() as AddressInfo).port,
    startup: {
      importMs: Math.round(importMs),
      openDatabaseMs: Math.round(openDatabaseMs),
      buildAppMs: Math.round(buildAppMs),
      backendInitMs: Math.round(backendInitMs),
      sinceProcessStartMs: Math.round(performance.now()),
    },
  });
});

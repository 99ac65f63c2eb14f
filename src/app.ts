// buildApp(config): the whole platform as a Koa app, over its database. It never listens (server.ts does),
// so tests and benchmarks can serve it on any port. This is the composition root: it wires the services,
// the areas' handlers and the HTTP pipeline, and holds no policy of its own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Koa from 'koa';
import { OpenAPIBackend, type Context as RoutedContext } from 'openapi-backend';
import pino, { type Logger } from 'pino';
import { operations, type OperationMeta } from '../generated/server/index.js';
import { buildHandlers } from './areas.js';
import { AdminAccounts } from './auth/index.js';
import { ReadinessFailure, shutdownCheck } from './health/index.js';
import type { Config } from './config.js';
import { compression } from './http/compression.js';
import { cors } from './http/cors.js';
import { operationHandler, type DispatchDeps } from './http/dispatch.js';
import { requestLifecycle } from './http/middleware.js';
import { RateLimits } from './http/policies.js';
import { problemTypes } from './http/problem-types.js';
import { trustProxies } from './http/proxy.js';
import { installRouter, type RoutedRequest } from './http/router.js';
import { withoutSecurity } from './http/security.js';
import { site, SITE_PATHS } from './http/site.js';
import { systemClock, type Clock } from './platform/clock.js';
import { openDatabase, type Database } from './platform/database.js';
import { ApiError } from './platform/errors.js';
import { batchedDestination } from './platform/log-destination.js';
import { Metrics, NO_METRICS } from './platform/metrics.js';
import { createRateLimiters } from './platform/rate-limit.js';
import { Shutdown } from './platform/shutdown.js';
import { connectRedis } from './platform/redis.js';
import { loadDemoData } from './demo/load.js';
import { createServices, type Providers, type Services } from './services.js';

const root = join(import.meta.dirname, '..');
const IDEMPOTENCY_PURGE_MS = 3600_000;
const VOICE_CLONING_MS = 30_000;

export interface Platform {
  app: Koa;
  /** The Node request listener. */
  callback: ReturnType<Koa['callback']>;
  database: Database;
  /** Every area's service, for tests and benchmarks that drive them directly. */
  services: Services;
  log: Logger;
  /**
   * The stop's phases (src/platform/shutdown.ts): server.ts runs them; `/readyz` answers 503 from the first;
   * `shutdown.onPhase` tells whoever follows the stop (a metrics gauge) each phase as it starts.
   */
  shutdown: Shutdown;
  /** This app's metrics (its own registry), served by src/http/metrics-server.ts; undefined when METRICS=off. */
  metrics?: Metrics;
  /** Cuts every live room stream off, so a graceful stop need not wait for them (their clients resume elsewhere). */
  endStreams(): void;
  /** Stops the background work: timers, the run worker, agent calls (refunding those still running), voice cloning, live feeds. */
  stopWorkers(): Promise<void>;
  /** Closes Redis and the database (on the embedded one, releasing its lock). After `stopWorkers`. */
  closeConnections(): Promise<void>;
  /** `stopWorkers`, then `closeConnections` (tests, and a start that fails). */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** An already open (and migrated) database; otherwise one is opened from the config and migrated. */
  database?: Database;
  log?: Logger;
  clock?: Clock;
  /** Agent and speech providers instead of the configured ones (tests, benchmarks). */
  providers?: Providers;
  /** Run the background jobs (renewals, idempotency purge) on their timers; tests run them by hand. */
  jobs?: boolean;
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<Platform> {
  const log = options.log ?? createLogger(config);
  // Redis first: when it cannot be reached, the start stops there, with one sentence.
  const redis = config.redisUrl ? await connectRedis(config.redisUrl, log) : undefined;
  const database =
    options.database ??
    (await openDatabase(config).catch((error: unknown) => {
      redis?.disconnect();
      throw error;
    }));
  // Admins are the operator's: the listed accounts exist before this server accepts a sign-up (src/auth/admins.ts).
  await new AdminAccounts(database.knex)
    .bootstrap(config.adminEmails, config.adminPassword, log)
    .catch(async (error: unknown) => {
      redis?.disconnect();
      if (!options.database) await database.close();
      throw error;
    });
  // Metrics are this app's own (not prom-client's global registry): several apps may share a process (tests).
  const metrics = config.metrics ? new Metrics() : undefined;
  const unwatchDatabase = metrics?.watchDatabase(database);
  const services = createServices(
    database,
    config,
    options.clock ?? systemClock,
    options.providers,
    metrics ?? NO_METRICS,
  );
  if (config.demo) {
    // Before the run worker starts, so it finds the demo's queued run, and before the first request.
    const { loaded } = await loadDemoData(services).catch(async (error: unknown) => {
      redis?.disconnect();
      if (!options.database) await database.close();
      throw error;
    });
    log.info({ loaded }, loaded ? 'demo data loaded' : 'demo data already loaded');
  }
  const shutdown = new Shutdown();
  services.readiness.log = log;
  if (redis)
    services.readiness.add('redis', async () => {
      if (redis.status !== 'ready') throw new ReadinessFailure(`not connected (${redis.status})`);
      await redis.ping();
      return 'PING answered';
    });
  shutdownCheck(services.readiness, shutdown);
  database.events.onError = (error) => {
    metrics?.eventBusReconnect();
    log.warn({ err: error }, 'event bus connection lost; reconnecting');
  };
  metrics?.readFrom({
    agentCallsInFlight: () => services.communityAgentCalls.running,
    roomRunsOpen: () => services.rooms.worker.open(),
    shutdownPhase: () => shutdown.phase,
  });
  services.rooms.streams.credentials.onError = (error) =>
    log.warn({ err: error }, 'checking the credentials of open streams failed; retrying at the next interval');
  services.ticketHolds.onError = (error) =>
    log.warn({ err: error }, 'keeping the stream tickets of open streams alive failed; retrying at the next interval');

  const contractJson = readFileSync(join(root, 'generated', 'openapi.json'));
  const document = JSON.parse(contractJson.toString('utf8'));
  const docsHtml = readFileSync(join(root, 'docs', 'index.html'));

  // Routed without its security requirements: dispatch authenticates each request once (security.ts).
  const api = new OpenAPIBackend({
    definition: withoutSecurity(document),
    quick: true,
    validate: false,
    strict: true,
    ignoreTrailingSlashes: false,
  });
  const metaById = new Map<string, OperationMeta>(operations.map((op) => [op.operationId, op]));
  const deps: DispatchDeps = {
    config,
    authenticator: services.auth,
    rateLimits: new RateLimits(
      createRateLimiters(config.rateLimits, redis && { redis, keyPrefix: config.redisKeyPrefix, log }),
      metrics ?? NO_METRICS,
    ),
    idempotency: services.idempotency,
    metrics,
  };
  const handlers = buildHandlers(services);
  api.register({
    notFound: () => {
      throw new ApiError(404, 'NOT_FOUND', 'No operation matches this path.');
    },
    methodNotAllowed: (_c: RoutedContext, koa: Koa.Context) => {
      const allowed = (koa.state.routedRequest as RoutedRequest).allowedMethods ?? [];
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', 'This path does not accept this method.', undefined, {
        Allow: allowed.join(', '),
      });
    },
    postRoutingHandler: (c: RoutedContext, koa: Koa.Context) => {
      if (c.operation) koa.state.operation = metaById.get(c.operation.operationId!);
    },
  });
  for (const meta of operations)
    api.register(meta.operationId, operationHandler(meta, handlers[meta.operationId], deps));
  await api.init();
  installRouter(api);

  const app = new Koa();
  trustProxies(app, config.trustedProxyHops);
  app.on('error', (error: NodeJS.ErrnoException) => {
    // A client that goes away mid-stream is ordinary (an SSE reader closing its tab), not a server error; nor is
    // a request cut off because it was sent too slowly (REQUEST_TIMEOUT_MS).
    if (
      error.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      error.code === 'ECONNRESET' ||
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    )
      log.debug({ err: error }, 'client closed the stream');
    else log.error({ err: error }, 'stream error');
  });
  app.use(requestLifecycle(log, config, metrics));
  app.use(compression());
  app.use(cors(api, config.corsOrigins, SITE_PATHS));
  app.use(problemTypes());
  app.use(site({ contract: contractJson, docs: docsHtml }));
  app.use(async (koa) => {
    // No query: dispatch parses the raw query string itself, strictly (inputs.ts), and routing needs none.
    const request: RoutedRequest = {
      method: koa.method,
      path: koa.path,
      headers: koa.headers as RoutedRequest['headers'],
    };
    koa.state.routedRequest = request;
    await api.handleRequest(request, koa);
  });

  // Background jobs, on every instance (each is safe to run concurrently): idempotency keys are kept their
  // retention, then purged; monthly renewals are charged when due; pending voice cloning is retried.
  // Queued agent runs are executed, and stale ones reaped, by the run worker; agent calls whose server died
  // are refunded by the agent-call reaper.
  const timers: NodeJS.Timeout[] = [];
  if (options.jobs !== false) {
    // The embedded database has one process, this one: what a previous process left running died with it.
    if (database.kind === 'pglite')
      await Promise.all([
        services.communityAgentCalls.reap(0),
        services.rooms.worker.reap(0),
        services.lounge.cloning.releaseAll(),
      ]);
    const job = { log, metrics };
    timers.push(
      every(IDEMPOTENCY_PURGE_MS, () => services.idempotency.purgeExpired(), 'idempotency_purge', job),
      every(config.renewalIntervalSeconds * 1000, () => renewOnce(services, metrics), 'renewals', job),
      every(VOICE_CLONING_MS, () => services.lounge.cloneVoices(), 'voice_cloning', job),
    );
    services.rooms.worker.start(log);
    services.communityAgentCalls.start(log);
  }

  const stopWorkers = async () => {
    for (const timer of timers) clearInterval(timer);
    await services.communityAgentCalls.stop(); // refunds the calls still running: this server cannot finish them
    await services.rooms.worker.stop();
    await services.lounge.cloning.stop(); // its jobs go back to pending for another instance
    services.rooms.streams.feeds.close();
    services.rooms.streams.credentials.close();
  };
  const closeConnections = async () => {
    unwatchDatabase?.();
    await redis?.quit().catch(() => redis.disconnect());
    await database.close();
  };
  return {
    app,
    callback: app.callback(),
    database,
    services,
    log,
    shutdown,
    metrics,
    endStreams: () => services.rooms.streams.feeds.cutAll(),
    stopWorkers,
    closeConnections,
    close: async () => {
      await stopWorkers();
      await closeConnections();
    },
  };
}

/** One renewal run, counted by outcome (a run that fails counts `failed`: it is rolled back and retried). */
async function renewOnce(services: Services, metrics: Metrics | undefined): Promise<void> {
  try {
    metrics?.renewalRun(await services.communityRenewals.runOnce());
  } catch (error) {
    metrics?.renewalRunFailed();
    throw error;
  }
}

/**
 * Runs `job` every `ms` (one run at a time), logging and counting failures (`background_job_failures_total`,
 * labelled `name`); never keeps the process alive.
 */
function every(
  ms: number,
  job: () => Promise<unknown>,
  name: string,
  { log, metrics }: { log: Logger; metrics: Metrics | undefined },
): NodeJS.Timeout {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    job()
      .catch((error: unknown) => {
        metrics?.backgroundJobFailed(name);
        log.warn({ err: error }, `${name.replace('_', ' ')} failed`);
      })
      .finally(() => {
        running = false;
      });
  }, ms);
  timer.unref();
  return timer;
}

/**
 * JSON lines on stdout. In production the lines are gathered into 4 KB chunks written asynchronously, every second
 * and on shutdown (src/platform/log-destination.ts; README, "Stopping and restarting"). A SIGKILL loses the lines
 * still gathered: the last second's at most, about 4 KB at most. SIGTERM, SIGINT and uncaught exceptions lose none.
 */
function createLogger(config: Config): Logger {
  if (!config.logBuffered) return pino({ level: config.logLevel });
  const log = pino({ level: config.logLevel }, batchedDestination(1));
  setInterval(() => log.flush(), 1000).unref();
  return log;
}

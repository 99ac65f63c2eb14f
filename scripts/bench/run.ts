// `npm run bench`: seeds the database, then load-tests the full platform against a bare Koa + knex server
// doing the same queries, measures routing cost (10 operations vs the full contract, stock vs ours) and
// start-up, prints the table and writes it to docs/benchmarks.md. Every process it starts is stopped at the
// end, whatever happens. Only 127.0.0.1 is ever contacted. The options (below, with their defaults) are
// described at the top of docs/benchmarks.md (report.ts writes it); --out FILE writes another file instead.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { join } from 'node:path';
import knexFactory from 'knex';
import {
  repoRoot,
  startChild,
  stopAllChildren,
  targetToEnv,
  untilSame,
  type Child,
  type DatabaseTarget,
  type Message,
} from './common.js';
import type { LoadResult, LoadSpec } from './load.js';
import {
  missedTargets,
  renderMarkdown,
  writeDocument,
  type EndpointRow,
  type Measured,
  type MicroRow,
  type RoutingRow,
  type RunReport,
  type Startup,
} from './report.js';
import { ROUTED_PATH } from './routing.js';
import { JOIN_FEE, type SeededCommunities } from './seed-communities.js';
import { measureFirstChunk, type ChatServer, type FirstChunk } from './agent-chat-ttfc.js';
import { LocalAgentProvider } from '../../src/ai/agent-provider.js';
import { OpenAiCompatibleAgentProvider } from '../../src/ai/openai-agent-provider.js';
import { randomUUID } from 'node:crypto';
import type { SeededRooms } from './seed-rooms.js';
import { CS_SIZES, PAGE, type SeededCs } from './seed-cs.js';
import { measureStreamFanout } from './stream-fanout.js';
import { cpuTimes, postgresTicks, postgresTicksBetween, stolenShare, TICKS_PER_SECOND } from './cpu-times.js';
import { startTraceReceiver, tracingEnv, type TracedRow } from './traces.js';

/** Every other row (the writes): the platform at least as fast as the bare Koa + knex server. */
const TARGET_RATIO = 1.0;
/** The reads PostgreSQL renders (src/platform/rendered.ts): against the bare baseline and the limit server. */
const RENDERED_TARGETS = { bare: 2.0, limit: 0.6 };
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '4' },
    'routing-duration': { type: 'string', default: '6' },
    spaces: { type: 'string', default: '10000' },
    only: { type: 'string', default: 'list,search,get,create,routing' },
    'log-level': { type: 'string', default: 'info' },
    profile: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'docs', 'benchmarks.md') },
    keep: { type: 'boolean', default: false },
    db: { type: 'string', default: 'auto' },
    schema: { type: 'string', default: 'bench' },
    strict: { type: 'boolean', default: false },
    joiners: { type: 'string', default: '10000' },
    messages: { type: 'string', default: '10000' },
    'stream-clients': { type: 'string', default: '1000' },
    'stream-rate': { type: 'string', default: '5,20' },
    'stream-seconds': { type: 'string', default: '10' },
    'poll-interval': { type: 'string', default: '1000' },
  },
});
const seconds = Number(opts.duration);
const warmupSeconds = Number(opts.warmup);
const connections = Number(opts.connections);
const rounds = Math.max(1, Number(opts.rounds));
const routingSeconds = Number(opts['routing-duration']);
const spaces = Number(opts.spaces);
const only = new Set(opts.only.split(',').map((s) => s.trim()));
const logLevel = opts['log-level'];
/** The communities rows (seed-communities.ts, bare-communities.ts); a run of these alone has its own section. */
const COMMUNITY_ROWS = ['join', 'messages', 'agent-chat'];
const communityRows = COMMUNITY_ROWS.some((row) => only.has(row));
/** The Rooms rows (seed-rooms.ts, bare-rooms.ts); a run of these alone has its own section. */
const ROOM_ROWS = ['room-post', 'room-timeline'];
const roomRows = ROOM_ROWS.some((row) => only.has(row));
/** The live stream fan-out row (stream-fanout.ts): its own section when run alone. */
const STREAM_ROWS = ['stream-fanout'];
/** The customer-service rows (seed-cs.ts, bare-cs.ts); a run of these alone has its own section. */
const CS_ROWS = ['cs-queue', 'cs-messages'];
const csRows = CS_ROWS.some((row) => only.has(row));
/** The cost of metrics (`metrics`): the hot reads on the full stack with metrics on and off, in one run. */
const METRICS_ROWS = ['metrics'];
const SPACE_ROWS = ['list', 'search', 'get', 'create', 'routing', 'traces'];
const ALL_ROWS = [...SPACE_ROWS, ...COMMUNITY_ROWS, ...ROOM_ROWS, ...CS_ROWS, ...STREAM_ROWS, ...METRICS_ROWS];
const unknownRows = [...only].filter((row) => !ALL_ROWS.includes(row));
if (unknownRows.length) {
  console.error(
    `[bench] unknown --only rows: ${unknownRows.join(', ')} (rows: ${ALL_ROWS.join(', ')}; the CS queue is cs-queue)`,
  );
  process.exit(2);
}

const log = (text: string) => console.log(`[bench] ${text}`);

interface Seeded extends Message {
  token: string;
  spaceId: string;
  spaces: number;
  publicSpaces: number;
  searchTerm: string;
  searchMatches: number;
  totalMs: number;
  totalQueryMs: { counter: number; countStar: number };
  communities?: SeededCommunities;
  rooms?: SeededRooms;
  cs?: SeededCs;
}

interface Endpoint {
  key: string;
  label: string;
  method: 'GET' | 'POST';
  path: string;
  auth: boolean;
  body?: string;
  /** The bare server's path, when it differs (each server joins its own paid club). */
  barePath?: string;
  /** The caller, when not the seeded owner. */
  token?: string;
  /** One token per request, each used once (the paid join: every request is a new user). */
  tokens?: string[];
  /** A body field set to a fresh UUID on every request (the idempotency key of a post: each request a new one). */
  freshKey?: string;
  /** Response fields besides id and timestamps that differ between two POSTs (a message's seq in the room). */
  ignore?: string[];
  /** Paths the load's requests go to in turn (`path` is the first; the parity checks use it). */
  paths?: string[];
  /**
   * An answer the platform renders in PostgreSQL (a read, or a write whose statement renders what it wrote): the
   * bare server runs the knex baseline's SQL, so only their JSON is compared.
   */
  rendered?: boolean;
  /**
   * A write's statements the platform runs compiled once (src/platform/rendered.ts; one may render the answer) in
   * place of the bare server's knex ones, in pairs: each pair takes one statement of each server's (a pair listed
   * twice, two), and the statements left are compared, so neither runs one more or fewer.
   */
  compiled?: Array<{ platform: RegExp; bare: RegExp }>;
  /** A rendered read the limit server serves too (running the platform's SQL): measured against it, with its targets. */
  onLimitServer?: boolean;
  /** The browse, served by the design's floor too (floor-server.ts): what the platform's per-request work costs. */
  onFloorServer?: boolean;
}

/** Tokens handed out for `tokens` endpoints: the parity checks take the first PARITY_TOKENS, the load the rest. */
const PARITY_TOKENS = 8;
const tokenCursor = new Map<Endpoint, number>();
function callerToken(endpoint: Endpoint, token?: string): string | undefined {
  if (!endpoint.tokens) return endpoint.token ?? token;
  const n = tokenCursor.get(endpoint) ?? 0;
  if (n >= PARITY_TOKENS) throw new Error(`${endpoint.label}: out of parity tokens`);
  tokenCursor.set(endpoint, n + 1);
  return endpoint.tokens[n];
}

/** The customer-service rows: a queue page at each size and from the middle of the largest; a message page at each size. */
function csEndpoints(cs: SeededCs): Endpoint[] {
  const n = (size: number | string) => Number(size).toLocaleString('en-US');
  const rows: Endpoint[] = Object.entries(cs.queueCommunityIds).map(([size, id]) => ({
    key: 'cs-queue',
    label: `GET /api/communities/{id}/cs-queue?limit=${PAGE} (${n(size)} conversations)`,
    method: 'GET',
    path: `/api/communities/${id}/cs-queue?limit=${PAGE}`,
    auth: true,
    rendered: true,
    onLimitServer: true,
  }));
  const { size, cursor } = cs.middleCursor;
  rows.push({
    key: 'cs-queue',
    label: `GET /api/communities/{id}/cs-queue?limit=${PAGE}&cursor= (${n(size)} conversations, after the first ${n(size / 2)})`,
    method: 'GET',
    path: `/api/communities/${cs.queueCommunityIds[String(size)]}/cs-queue?limit=${PAGE}&cursor=${cursor}`,
    auth: true,
    rendered: true,
    onLimitServer: true,
  });
  for (const [messages, id] of Object.entries(cs.conversationIds)) {
    rows.push({
      key: 'cs-messages',
      label: `GET /api/conversations/{id}/messages?limit=${PAGE} (${n(messages)} messages)`,
      method: 'GET',
      path: `/api/conversations/${id}/messages?limit=${PAGE}`,
      auth: true,
      rendered: true,
      onLimitServer: true,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------

/**
 * PostgreSQL if DATABASE_URL is set (it must answer) or the default local server answers; else PGlite.
 * `--db pglite` forces PGlite, `--db postgres` refuses to fall back.
 */
async function chooseDatabase(): Promise<{ url?: string; label: string }> {
  if (opts.db === 'pglite') return { label: 'PGlite (--db pglite; one copy of the seeded data directory per server)' };
  const url = process.env.DATABASE_URL || DEFAULT_POSTGRES;
  const knex = knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 3_000,
  });
  try {
    const { rows } = await knex.raw('show server_version');
    const host = new URL(url).host;
    return { url, label: `PostgreSQL ${rows[0].server_version} at ${host} (schema \`${opts.schema}\`)` };
  } catch (error) {
    if (process.env.DATABASE_URL || opts.db === 'postgres')
      throw new Error(`${url} does not accept connections: ${(error as Error).message}`);
    return {
      label:
        'PGlite (no PostgreSQL server answered at 127.0.0.1:5432; one copy of the seeded data directory per server)',
    };
  } finally {
    await knex.destroy();
  }
}

async function seed(target: DatabaseTarget): Promise<Seeded> {
  const child = startChild('seed', 'seed.ts', {
    env: {
      ...targetToEnv(target),
      BENCH_SPACES: String(spaces),
      ...(communityRows ? { BENCH_COMMUNITIES: [opts.joiners, opts.messages].join(',') } : {}),
      ...(roomRows ? { BENCH_ROOMS: '1' } : {}),
      ...(csRows ? { BENCH_CS: '1' } : {}),
    },
  });
  const seeded = await child.next<Seeded>('seeded', 600_000);
  await new Promise<void>((resolve) =>
    child.process.exitCode !== null ? resolve() : child.process.once('exit', () => resolve()),
  );
  return seeded;
}

/** How often a server's metrics listener is scraped while it runs: the usual Prometheus interval. */
const SCRAPE_MS = 15_000;

async function startServer(name: string, file: string, env: Record<string, string>, profile: boolean): Promise<Server> {
  const profileDir = join(tmpdir(), 'platform-bench-profiles');
  if (profile) {
    mkdirSync(profileDir, { recursive: true });
    log(`${name}: CPU profile to ${profileDir} (summarise: npx tsx scripts/bench/profile-summary.ts FILE)`);
  }
  const child = startChild(name, file, {
    env: { ...env, BENCH_LOG_LEVEL: logLevel },
    nodeFlags: profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
  });
  const ready = await child.next('ready', 120_000);
  if (ready.metricsPort) {
    // Scraped as Prometheus would (at once, then at its default interval), from this process: serving the scrape is
    // the server's work, the scraping client's is not.
    const url = `http://127.0.0.1:${ready.metricsPort}/metrics`;
    const scrape = () => fetch(url).then((r) => r.text());
    await scrape();
    const scraping = setInterval(() => void scrape().catch(() => undefined), SCRAPE_MS);
    scraping.unref();
    child.process.once('exit', () => clearInterval(scraping));
  }
  return { name, child, port: ready.port as number, ready, bare: file === 'bare-server.ts' };
}

/** The load generator's process, started once; autocannon runs there, one job at a time. */
let loader: Child | undefined;

/** One request to an endpoint, as autocannon and fetch both take it. */
function request(server: Server, endpoint: Endpoint, token?: string) {
  return {
    url: `http://127.0.0.1:${server.port}${server.bare && endpoint.barePath ? endpoint.barePath : endpoint.path}`,
    method: endpoint.method,
    headers: {
      accept: 'application/json',
      ...(endpoint.auth && token ? { authorization: `Bearer ${token}` } : {}),
      ...(endpoint.body ? { 'content-type': 'application/json' } : {}),
    },
    body:
      endpoint.body && endpoint.freshKey
        ? JSON.stringify({ ...JSON.parse(endpoint.body), [endpoint.freshKey]: randomUUID() })
        : endpoint.body,
  };
}

interface Server {
  name: string;
  child: Child;
  port: number;
  ready: Message;
  bare?: boolean;
  /** The most memory seen at the end of a measured round (right after its load): RSS and the JS heap in use. */
  peak?: { rss: number; heapUsed: number };
}

/** Resolves once the server answers no request: what a stopped load left queued would be in a SQL trace. */
async function settled(server: Server, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (((await server.child.ask({ type: 'stats' })).inFlight as number) > 0) {
    if (Date.now() > until)
      throw new Error(`${server.name}: requests still being answered after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One autocannon run; fails loudly on any non-2xx response or connection error. */
async function loadOnce(server: Server, endpoint: Endpoint, seconds: number, token?: string): Promise<LoadResult> {
  if (!loader) {
    loader = startChild('load generator', 'load.ts');
    await loader.next('ready'); // its IPC handler is installed: jobs sent now are not lost
  }
  const spec: LoadSpec = {
    ...request(server, endpoint, endpoint.token ?? token),
    connections,
    seconds,
    ...(endpoint.tokens ? { rotateTokens: endpoint.tokens.slice(PARITY_TOKENS) } : {}),
    ...(endpoint.freshKey ? { freshKey: endpoint.freshKey } : {}),
    ...(endpoint.paths ? { rotatePaths: endpoint.paths } : {}),
  };
  const { type: _type, ...result } = await loader.ask<LoadResult & Message>(
    { type: 'run', spec },
    (seconds + 60) * 1000,
  );
  if (result.non2xx > 0 || result.errors > 0) {
    const sample = endpoint.tokens
      ? { status: '-', body: 'not sampled: its tokens are used once' }
      : await call(server, endpoint, endpoint.token ?? token);
    throw new Error(
      `${server.name} ${endpoint.label}: ${result.non2xx} non-2xx responses (${JSON.stringify(result.statusCounts)}), ` +
        `${result.errors} errors (${result.timeouts} timeouts). A request now answers ${sample.status}: ${JSON.stringify(sample.body).slice(0, 500)}`,
    );
  }
  return result;
}

/**
 * Measures one endpoint on several servers: a warm-up each, then `rounds` measured runs per server,
 * rotating the order (A B C, B C A, ...; two servers alternate) so that drift on the shared cores does not favour one. Requests/s is
 * total requests over total seconds; p50/p99 the mean of the rounds'; server CPU per request from the
 * server's own process.cpuUsage() around its measured runs.
 */
async function measure(
  servers: Server[],
  endpoint: Endpoint,
  token?: string,
  timing = { warmup: warmupSeconds, seconds },
): Promise<Measured[]> {
  for (const server of servers) if (timing.warmup > 0) await loadOnce(server, endpoint, timing.warmup, token);
  const runs = new Map<
    Server,
    Array<
      LoadResult & {
        cpuUs: number;
        systemUs: number;
        served: number;
        machineUs: number | undefined;
        postgresUs: number | undefined;
      }
    >
  >(servers.map((s) => [s, []]));
  const perRound = timing.seconds / rounds;
  for (let round = 0; round < rounds; round++) {
    // Rotated (A B C, B C A, C A B), not reversed (A B C, C B A): reversed, the servers at the ends run twice back
    // to back and the middle ones never, so work a server defers after its load (GC, compilation) lands in its
    // own next measured round at the ends and in another server's round in the middle (the metrics rows put both
    // servers with metrics at the ends).
    for (const server of servers.map((_, i) => servers[(round + i) % servers.length]!)) {
      const before = await server.child.ask({ type: 'stats' });
      // The machine's readings just around the load, so that reading /proc for PostgreSQL's processes is not in them.
      const postgresBefore = postgresIsLocal ? postgresTicks() : undefined;
      const machineBefore = cpuTimes();
      const result = await loadOnce(server, endpoint, perRound, token);
      const machineAfter = cpuTimes();
      const postgresAfter = postgresIsLocal ? postgresTicks() : undefined;
      const after = await server.child.ask({ type: 'stats' });
      server.peak = {
        rss: Math.max(server.peak?.rss ?? 0, after.rss as number),
        heapUsed: Math.max(server.peak?.heapUsed ?? 0, after.heapUsed as number),
      };
      runs.get(server)!.push({
        ...result,
        cpuUs: (after.cpuUs as number) - (before.cpuUs as number),
        systemUs: (after.systemUs as number) - (before.systemUs as number),
        served: (after.requests as number) - (before.requests as number),
        machineUs:
          machineBefore && machineAfter
            ? ((machineAfter.busy - machineBefore.busy) * 1e6) / TICKS_PER_SECOND
            : undefined,
        postgresUs:
          postgresBefore && postgresAfter
            ? (postgresTicksBetween(postgresBefore, postgresAfter) * 1e6) / TICKS_PER_SECOND
            : undefined,
      });
    }
  }
  return servers.map((server) => {
    const list = runs.get(server)!;
    const sum = (f: (r: (typeof list)[number]) => number) => list.reduce((acc, r) => acc + f(r), 0);
    const measured: Measured = {
      rps: sum((r) => r.requests) / sum((r) => r.seconds),
      seconds: sum((r) => r.seconds),
      p50: sum((r) => r.p50) / list.length,
      p99: sum((r) => r.p99) / list.length,
      requests: sum((r) => r.requests),
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      statusCounts: {},
      loadCpuUs: sum((r) => r.loadCpuUs),
      cpuUsPerRequest: sum((r) => r.cpuUs) / sum((r) => r.served),
      systemUsPerRequest: sum((r) => r.systemUs) / sum((r) => r.served),
      loadCpuUsPerRequest: sum((r) => r.loadCpuUs) / sum((r) => r.requests),
      machineCpuUsPerRequest: list.every((r) => r.machineUs !== undefined)
        ? sum((r) => r.machineUs!) / sum((r) => r.requests)
        : undefined,
      postgresCpuUsPerRequest: list.every((r) => r.postgresUs !== undefined)
        ? sum((r) => r.postgresUs!) / sum((r) => r.requests)
        : undefined,
      roundsRps: list.map((r) => Math.round(r.rps)),
    };
    log(
      `${server.name.padEnd(36)} ${endpoint.label.padEnd(32)} ${Math.round(measured.rps).toString().padStart(6)} req/s ` +
        `(rounds ${measured.roundsRps.join(', ')})  p50 ${measured.p50.toFixed(1)} ms  p99 ${measured.p99.toFixed(1)} ms  CPU ${Math.round(measured.cpuUsPerRequest)} µs/req ` +
        `(kernel ${Math.round(measured.systemUsPerRequest!)}), load ${Math.round(measured.loadCpuUsPerRequest)}, ` +
        `postgres ${measured.postgresCpuUsPerRequest === undefined ? '-' : Math.round(measured.postgresCpuUsPerRequest)}, ` +
        `machine ${measured.machineCpuUsPerRequest === undefined ? '-' : Math.round(measured.machineCpuUsPerRequest)}`,
    );
    return measured;
  });
}

async function call(server: Server, endpoint: Endpoint, token?: string): Promise<{ status: number; body: unknown }> {
  const { url, ...init } = request(server, endpoint, token);
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: response.status, body };
}

/**
 * Before measuring: the full stack answers every endpoint with the same status and JSON as the other server
 * (for POST, the same row apart from id and timestamps), and, where `sameSql` says so, runs the same SQL
 * statements for it. Both get the same requests, so that on PGlite (one data directory per server) their data stays alike.
 */
async function checkParity(
  full: Server,
  bare: Server,
  endpoints: Endpoint[],
  token: string,
  sameSql: (endpoint: Endpoint) => boolean = () => true,
): Promise<void> {
  for (const endpoint of endpoints) {
    const compareSql = sameSql(endpoint);
    const strip = (body: unknown) => {
      const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = body as Record<string, unknown>;
      for (const field of endpoint.ignore ?? []) delete rest[field];
      return rest;
    };
    // A first call each (warms up anything read once on first use), then a traced one.
    const [got, expected] = [
      await call(full, endpoint, callerToken(endpoint, token)),
      await call(bare, endpoint, callerToken(endpoint, token)),
    ];
    const traced = async (server: Server) => {
      await settled(server);
      await server.child.ask({ type: 'trace', on: true });
      await call(server, endpoint, callerToken(endpoint, token));
      // Savepoint names number knex's transactions so far in that process: not part of the SQL compared.
      const statements = ((await server.child.ask({ type: 'trace', on: false })).statements as string[])
        .map((sql) => sql.replace(/SAVEPOINT trx\d+/, 'SAVEPOINT trx'))
        .sort();
      const others = [...statements];
      for (const pair of endpoint.compiled ?? []) {
        const side = pair[server === full ? 'platform' : 'bare'];
        const at = others.findIndex((sql) => side.test(sql));
        if (at < 0) throw new Error(`${endpoint.label}: ${server.name} ran no statement like ${side}`);
        others.splice(at, 1);
      }
      return others;
    };
    const [fullSql, bareSql] = compareSql
      ? await untilSame(
          async () => [await traced(full), await traced(bare)],
          ([f, b]) => isDeepStrictEqual(f, b),
        )
      : [[], []];
    if (got.status !== expected.status || got.status < 200 || got.status > 299) {
      throw new Error(
        `${endpoint.label}: ${full.name} answers ${got.status}, ${bare.name} ${expected.status}: ` +
          `${JSON.stringify(got.body).slice(0, 300)} / ${JSON.stringify(expected.body).slice(0, 300)}`,
      );
    }
    const same =
      endpoint.method === 'POST'
        ? isDeepStrictEqual(strip(got.body), strip(expected.body))
        : isDeepStrictEqual(got.body, expected.body);
    if (!same) {
      throw new Error(
        `${endpoint.label}: ${full.name} and ${bare.name} answer different JSON:\n` +
          `${JSON.stringify(got.body).slice(0, 800)}\n${JSON.stringify(expected.body).slice(0, 800)}`,
      );
    }
    if (!isDeepStrictEqual(fullSql, bareSql)) {
      throw new Error(
        `${endpoint.label}: ${full.name} and ${bare.name} run different SQL:\n  ${fullSql.join('\n  ')}\nvs\n  ${bareSql.join('\n  ')}`,
      );
    }
    log(
      `parity ${endpoint.label}: ${full.name}, ${bare.name}: same status, JSON` +
        (compareSql ? ` and ${fullSql.length} SQL statements` : '') +
        (compareSql && endpoint.compiled
          ? ` besides ${endpoint.compiled.length} compiled once (one knex statement each)`
          : ''),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The agent chat's time to first chunk, platform vs bare (agent-chat-ttfc.ts): with the local provider on the
 * servers already up, then against the bench's fake OpenAI-compatible server (its own process) on a second
 * pair started with AGENT_BASE_URL pointing at it (stopped after; on PGlite each reopens its own directory).
 */
async function measureAgentChat(
  servers: [Server, Server],
  targets: [DatabaseTarget, DatabaseTarget],
  c: SeededCommunities,
): Promise<FirstChunk[]> {
  const chatServer = (server: Server): ChatServer => ({
    name: server.name,
    port: server.port,
    trace: async (on) => (await server.child.ask({ type: 'trace', on })).statements as string[],
    cpuUs: async () => (await server.child.ask({ type: 'stats' })).cpuUs as number,
  });
  const chat = { communityId: c.agentCommunityId, listingId: c.agentListingId, token: c.memberToken };
  const logged = (f: FirstChunk) => {
    log(
      `agent-chat first chunk (${f.provider} provider), ${f.requests} requests one at a time, ${f.statements} SQL statements each: ` +
        `platform p50 ${f.platform.chunk.p50.toFixed(2)} ms (p90 ${f.platform.chunk.p90.toFixed(2)}), bare p50 ${f.bare.chunk.p50.toFixed(2)} ms ` +
        `(p90 ${f.bare.chunk.p90.toFixed(2)}), provider alone p50 ${f.direct.p50.toFixed(3)} ms: the platform adds ${(f.platform.chunk.p50 - f.bare.chunk.p50).toFixed(2)} ms ` +
        `(paired p50 ${f.paired.p50.toFixed(2)} ms); server CPU ${Math.round(f.cpuUs.platform)} / ${Math.round(f.cpuUs.bare)} µs per request`,
    );
    return f;
  };
  await Promise.all(servers.map((s) => settled(s)));
  const results = [
    logged(await measureFirstChunk(chatServer(servers[0]), chatServer(servers[1]), new LocalAgentProvider(), chat)),
  ];

  await Promise.all(servers.map((s) => s.child.stop()));
  const fake = startChild('fake OpenAI-compatible server', 'fake-openai-server.ts');
  const { baseUrl } = await fake.next<Message & { baseUrl: string }>('ready');
  const agentEnv = { BENCH_AGENT_BASE_URL: baseUrl };
  const remote = [
    await startServer(
      'full stack (OpenAI-compatible provider)',
      'full-server.ts',
      { ...targetToEnv(targets[0]), ...agentEnv },
      false,
    ),
    await startServer(
      'bare koa+knex (OpenAI-compatible provider)',
      'bare-server.ts',
      { ...targetToEnv(targets[1]), ...agentEnv },
      false,
    ),
  ];
  try {
    results.push(
      logged(
        await measureFirstChunk(
          chatServer(remote[0]!),
          chatServer(remote[1]!),
          new OpenAiCompatibleAgentProvider({ baseUrl }),
          chat,
        ),
      ),
    );
  } finally {
    await Promise.all([...remote.map((s) => s.child.stop()), fake.stop()]);
  }
  return results;
}

/** The hot reads again on a traced server (traces.ts), in the same rounds as the untraced full stack. */
async function measureTraces(
  full: Server,
  target: DatabaseTarget,
  endpoints: Endpoint[],
  token: string,
): Promise<TracedRow[]> {
  const receiver = await startTraceReceiver();
  const traced = await startServer(
    'full stack, traces on',
    'full-server.ts',
    { ...targetToEnv(target), ...tracingEnv(receiver) },
    false,
  );
  const rows: TracedRow[] = [];
  try {
    for (const endpoint of endpoints.filter((e) => e.key === 'list' || e.key === 'get')) {
      const spansBefore = receiver.spans();
      const servedBefore = (await traced.child.ask({ type: 'stats' })).requests as number;
      const [off, on] = await measure([full, traced], endpoint, token);
      await new Promise((resolve) => setTimeout(resolve, 6000)); // the batch processor's 5 s delay
      const served = ((await traced.child.ask({ type: 'stats' })).requests as number) - servedBefore;
      rows.push({
        label: endpoint.label,
        off: off!,
        on: on!,
        spansPerRequest: (receiver.spans() - spansBefore) / served,
      });
      log(
        `traces ${endpoint.label}: ${(receiver.spans() - spansBefore).toLocaleString('en-US')} spans for ${served} requests`,
      );
    }
  } finally {
    await traced.child.stop();
    await receiver.close();
  }
  return rows;
}

/** Whether the servers' PostgreSQL runs on this machine: then its processes' CPU time is measured per round. */
let postgresIsLocal = false;

async function main(): Promise<void> {
  const runStarted = performance.now();
  const database = await chooseDatabase();
  log(`database: ${database.label}`);
  postgresIsLocal =
    database.url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(database.url).hostname);

  let fullTarget: DatabaseTarget;
  let bareTarget: DatabaseTarget;
  /** The metrics rows' four full stacks of their own (two with metrics on, two off): PGlite gives each a copy. */
  let metricsTargets: DatabaseTarget[];
  let scratch: string | undefined;
  if (database.url) {
    fullTarget = bareTarget = { kind: 'postgres', url: database.url, schema: opts.schema };
    metricsTargets = [fullTarget, fullTarget, fullTarget, fullTarget];
  } else {
    scratch = mkdtempSync(join(tmpdir(), 'platform-bench-'));
    fullTarget = { kind: 'pglite', dataDir: join(scratch, 'full') };
    bareTarget = { kind: 'pglite', dataDir: join(scratch, 'bare') };
    metricsTargets = ['metrics-on-1', 'metrics-off-1', 'metrics-off-2', 'metrics-on-2'].map((dir) => ({
      kind: 'pglite' as const,
      dataDir: join(scratch!, dir),
    }));
  }

  if (!opts.keep) {
    if (scratch) {
      const dir = scratch;
      cleanUpSteps.push(() => rmSync(dir, { recursive: true, force: true }));
    }
    if (database.url) {
      const target = fullTarget;
      cleanUpSteps.push(async () => {
        const drop = startChild('drop schema', 'seed.ts', { env: { ...targetToEnv(target), BENCH_SEED_MODE: 'drop' } });
        await drop.next('dropped', 60_000).catch(() => undefined);
        await drop.stop();
      });
    }
  }
  try {
    log(`seeding ${spaces} spaces...`);
    const seeded = await seed(fullTarget);
    log(
      `seeded in ${seeded.totalMs} ms: ${seeded.publicSpaces} public, search "${seeded.searchTerm}" matches ${seeded.searchMatches}; ` +
        `total by counter row ${seeded.totalQueryMs.counter.toFixed(2)} ms, by count(*) ${seeded.totalQueryMs.countStar.toFixed(2)} ms per query`,
    );
    // PGlite: two processes must never open one data directory, so the bare server gets a copy.
    if (fullTarget.dataDir && bareTarget.dataDir) cpSync(fullTarget.dataDir, bareTarget.dataDir, { recursive: true });
    const tracedTarget = fullTarget.dataDir ? { ...fullTarget, dataDir: `${fullTarget.dataDir}-traced` } : fullTarget;
    if (only.has('traces') && tracedTarget.dataDir)
      cpSync(fullTarget.dataDir!, tracedTarget.dataDir, { recursive: true });
    if (only.has('metrics') && fullTarget.dataDir)
      for (const target of metricsTargets) cpSync(fullTarget.dataDir, target.dataDir!, { recursive: true });

    const endpoints: Endpoint[] = [
      {
        key: 'list',
        label: 'GET /api/spaces (page 1)',
        method: 'GET',
        path: '/api/spaces?page=1',
        auth: false,
        rendered: true,
        onLimitServer: true,
        onFloorServer: true,
      },
      {
        key: 'search',
        label: `GET /api/spaces?search=${seeded.searchTerm}`,
        method: 'GET',
        path: `/api/spaces?search=${seeded.searchTerm}`,
        auth: false,
        rendered: true,
        onLimitServer: true,
      },
      {
        key: 'get',
        label: 'GET /api/spaces/{id}',
        method: 'GET',
        path: `/api/spaces/${seeded.spaceId}`,
        auth: true,
        rendered: true,
        onLimitServer: true,
      },
      {
        key: 'create',
        label: 'POST /api/spaces',
        method: 'POST',
        path: '/api/spaces',
        auth: true,
        rendered: true,
        body: JSON.stringify({
          name: 'Bench created space',
          description: 'Created by the benchmark.',
          category: 'gaming',
          tags: ['bench', 'load'],
          definition: { layout: 'grid', seats: 4 },
        }),
      },
    ];
    const c = seeded.communities;
    if (c) {
      endpoints.push(
        {
          key: 'join',
          label: `POST /api/communities/{id}/join (fee ${JOIN_FEE})`,
          method: 'POST',
          path: `/api/communities/${c.paidCommunityIds.full}/join`,
          barePath: `/api/communities/${c.paidCommunityIds.bare}/join`,
          auth: true,
          tokens: c.joinerTokens,
          // Compiled once (src/wallet/queries.ts, src/communities/queries.ts): the wallets' lock, the fee's two
          // balance updates and ledger entries, the member count; bare builds each with knex.
          compiled: [
            { platform: /^select user_id from wallets/, bare: /^select "user_id" from "wallets"/ },
            ...Array.from({ length: 2 }, () => [
              { platform: /^update wallets set balance_minor/, bare: /^update "wallets" set "balance_minor"/ },
              { platform: /^insert into ledger_entries/, bare: /^insert into "ledger_entries"/ },
            ]).flat(),
            { platform: /^update communities set member_count/, bare: /^update "communities" set "member_count"/ },
          ],
        },
        {
          key: 'messages',
          label: `GET /api/communities/{id}/messages?limit=50 (${c.messages.toLocaleString('en-US')} messages)`,
          method: 'GET',
          path: `/api/communities/${c.historyCommunityId}/messages?limit=50`,
          auth: true,
          token: c.memberToken,
          rendered: true,
          onLimitServer: true,
        },
      );
    }
    const r = seeded.rooms;
    if (r) {
      const post = {
        method: 'POST' as const,
        auth: true,
        token: r.posterToken,
        body: JSON.stringify({ body: 'Posted by the benchmark, hello everyone.', idempotencyKey: '' }),
        freshKey: 'idempotencyKey',
        ignore: ['seq'],
        // Compiled once (src/rooms/queries.ts): the current participants' read, the event counter's step, the
        // event's insert, and the message's insert, which renders the answer (renderInsertedMessage); bare builds
        // each with knex.
        compiled: [
          {
            platform: /^select id, room_id, participant_kind[\s\S]* left_at is null$/,
            bare: /^select "room_participants"\.\* from "room_participants" where "room_id" = \$1 and "left_at" is null$/,
          },
          { platform: /^update rooms set last_seq/, bare: /^update "rooms" set "last_seq"/ },
          { platform: /^insert into room_events/, bare: /^insert into "room_events"/ },
          { platform: /^with m as \(\s*insert into room_messages/, bare: /^insert into "room_messages"/ },
        ],
      };
      const spread = r.spreadRoomIds.map((id) => `/api/v1/rooms/${id}/messages`);
      endpoints.push(
        {
          ...post,
          key: 'room-post',
          label: `POST /api/v1/rooms/{id}/messages (busy room, fresh idempotency key)`,
          path: `/api/v1/rooms/${r.busyRoomId}/messages`,
        },
        {
          ...post,
          key: 'room-post',
          label: `POST /api/v1/rooms/{id}/messages (spread over ${spread.length} rooms in turn, fresh idempotency key)`,
          path: spread[0]!,
          paths: spread,
        },
      );
      for (const [size, id] of Object.entries(r.timelineRoomIds)) {
        endpoints.push({
          key: 'room-timeline',
          label: `GET /api/v1/rooms/{id}/timeline?limit=50 (${Number(size).toLocaleString('en-US')} events)`,
          method: 'GET',
          path: `/api/v1/rooms/${id}/timeline?limit=50`,
          auth: true,
          rendered: true,
          onLimitServer: true,
        });
      }
    }
    if (seeded.cs) endpoints.push(...csEndpoints(seeded.cs));
    const measured = endpoints.filter((e) => only.has(e.key)) as Endpoint[];

    const report: RunReport = {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      command: reproducingCommand(process.argv.slice(2)),
      database: database.label,
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}`,
      cores: cpus().length,
      spaces,
      publicSpaces: seeded.publicSpaces,
      searchTerm: seeded.searchTerm,
      searchMatches: seeded.searchMatches,
      seedMs: seeded.totalMs,
      totalQueryMs: seeded.totalQueryMs,
      connections,
      warmupSeconds,
      seconds,
      rounds,
      logLevel,
      target: TARGET_RATIO,
      endpoints: [],
      routing: [],
      micro: [],
      section:
        communityRows && ![...only].some((row) => !COMMUNITY_ROWS.includes(row))
          ? database.url
            ? 'communities'
            : 'communities-pglite'
          : roomRows && ![...only].some((row) => !ROOM_ROWS.includes(row))
            ? database.url
              ? 'rooms'
              : 'rooms-pglite'
            : csRows && ![...only].some((row) => !CS_ROWS.includes(row))
              ? database.url
                ? 'cs'
                : 'cs-pglite'
              : [...only].every((row) => STREAM_ROWS.includes(row))
                ? database.url
                  ? 'streams'
                  : 'streams-pglite'
                : [...only].every((row) => METRICS_ROWS.includes(row))
                  ? database.url
                    ? 'metrics'
                    : 'metrics-pglite'
                  : `spaces=${spaces}${database.url ? '' : '-pglite'}`,
      ...(r
        ? {
            rooms: {
              busyMessages: r.busyMessages,
              spreadRooms: r.spreadRoomIds.length,
              postTransactionMs: r.postTransactionMs,
              timelineSizes: Object.keys(r.timelineRoomIds).map(Number),
              seedMs: r.roomsMs,
            },
          }
        : {}),
      ...(c
        ? {
            communities: {
              users: c.joinerTokens.length,
              messages: c.messages,
              joinFee: JOIN_FEE,
              seedMs: c.communitiesMs,
            },
          }
        : {}),
      ...(seeded.cs
        ? {
            cs: {
              sizes: CS_SIZES,
              middle: seeded.cs.middleCursor.size / 2,
              plans: seeded.cs.plans,
              seedMs: seeded.cs.csMs,
            },
          }
        : {}),
    };

    // Both servers stay up (an idle one costs nothing) and are loaded one at a time, endpoint by endpoint,
    // reads first so that the spaces POST creates come after every read of every server.
    const measuring = cpuTimes();
    const full = await startServer('full stack', 'full-server.ts', targetToEnv(fullTarget), opts.profile === 'full');
    // The agent chat alone (`--only agent-chat`) has its own section: a run of it leaves the communities' rows be.
    if (only.size === 1 && only.has('agent-chat')) report.section = database.url ? 'agent-chat' : 'agent-chat-pglite';
    report.startup = full.ready.startup as Startup;
    const imports = startChild('module loading', 'startup.ts');
    const loaded = await imports.next('imports', 120_000);
    report.startup.imports = loaded.groups as Startup['imports'];
    report.startup.importsTotalMs = loaded.totalMs as number;
    log(
      `start-up: buildApp ${report.startup.buildAppMs} ms with the database open (openapi-backend init ${report.startup.backendInitMs} ms), ` +
        `module loading ${report.startup.importMs} ms, process start to listening ${report.startup.sinceProcessStartMs} ms`,
    );
    const bare = await startServer('bare koa+knex', 'bare-server.ts', targetToEnv(bareTarget), opts.profile === 'bare');
    // The limit: node:http + pg writing the rendered reads' JSON (PostgreSQL only: pg cannot open PGlite).
    const renderedReads = measured.filter((e) => e.onLimitServer);
    const limit =
      renderedReads.length && database.url
        ? await startServer('limit node:http+pg', 'limit-server.ts', targetToEnv(fullTarget), opts.profile === 'limit')
        : undefined;
    // The floor: the design's fixed parts alone (Koa, openapi-backend, knex), on PostgreSQL like the limit.
    const floorReads = measured.filter((e) => e.onFloorServer);
    const floor =
      floorReads.length && database.url
        ? await startServer('floor koa+openapi-backend+knex', 'floor-server.ts', targetToEnv(fullTarget), false)
        : undefined;
    if (measured.length) {
      // The bare server runs the knex baseline's statements for a rendered read: the same JSON, other SQL.
      await checkParity(full, bare, measured, seeded.token, (e) => !e.rendered);
      if (limit) await checkParity(full, limit, renderedReads, seeded.token);
      if (floor) await checkParity(full, floor, floorReads, seeded.token);
    }
    for (const endpoint of measured) {
      const withLimit = endpoint.onLimitServer && limit;
      const withFloor = endpoint.onFloorServer && floor;
      const servers = [full, bare, ...(withLimit ? [limit] : []), ...(withFloor ? [floor] : [])];
      const [fullResult, bareResult, ...others] = await measure(servers, endpoint, seeded.token);
      const limitResult = withLimit ? others.shift() : undefined;
      const floorResult = withFloor ? others.shift() : undefined;
      report.endpoints.push({
        label: endpoint.label,
        full: fullResult!,
        bare: bareResult!,
        ...(limitResult ? { limit: limitResult } : {}),
        ...(floorResult ? { floor: floorResult } : {}),
        ...(endpoint.onLimitServer ? { targets: RENDERED_TARGETS } : {}),
      } satisfies EndpointRow);
    }
    report.memory = [full, bare, limit, floor].flatMap((server) =>
      server?.peak ? [{ server: server.name, rssBytes: server.peak.rss, heapUsedBytes: server.peak.heapUsed }] : [],
    );
    await Promise.all([limit?.child.stop(), floor?.child.stop()]);
    if (only.has('traces')) report.traces = await measureTraces(full, tracedTarget, measured, seeded.token);
    if (only.has('metrics')) {
      // Metrics on against off, the hot reads (list and detail), with a control: two identical servers of each
      // kind, started on, off, off, on and loaded in alternating rounds. Two processes of one build differ by a few
      // percent in one run (where the scheduler and the JIT put them); the spread within a kind says how much.
      // Fresh processes, not the full stack above: its start-up and parity checks leave it a different heap (it
      // spent twice the others' time in GC in a profile), which read as a cost of metrics it is not.
      const more: Server[] = [];
      for (const [i, name] of ['metrics on (1)', 'METRICS=off (1)', 'METRICS=off (2)', 'metrics on (2)'].entries()) {
        const off = i === 1 || i === 2;
        const env = { ...targetToEnv(metricsTargets[i]!), ...(off ? { BENCH_METRICS: 'off' } : {}) };
        more.push(await startServer(`full stack, ${name}`, 'full-server.ts', env, opts.profile === 'metrics'));
      }
      const [on1, off1, off2, on2] = more as [Server, Server, Server, Server];
      report.metricsCost = [];
      for (const endpoint of endpoints.filter((e) => e.key === 'list' || e.key === 'get')) {
        const [a, b, c, d] = await measure([on1, off1, off2, on2], endpoint, seeded.token);
        report.metricsCost.push({ label: endpoint.label, on: [a!, d!], off: [b!, c!] });
      }
      await Promise.all(more.map((server) => server.child.stop()));
    }
    if (only.has('agent-chat') && c)
      report.firstChunk = await measureAgentChat([full, bare], [fullTarget, bareTarget], c);
    await Promise.all([full, bare].map((s) => s.child.stop()));
    if (only.has('stream-fanout')) {
      report.streamFanout = await measureStreamFanout(fullTarget, {
        clients: Number(opts['stream-clients']),
        rates: opts['stream-rate'].split(',').map(Number),
        seconds: Number(opts['stream-seconds']),
        pollIntervalMs: Number(opts['poll-interval']),
        ...(opts.profile === 'stream' ? { profileDir: join(tmpdir(), 'platform-bench-profiles') } : {}),
      });
    }

    if (only.has('routing')) {
      const micro = startChild('routing micro', 'routing-micro.ts');
      report.micro = (await micro.next('micro', 120_000)).results as MicroRow[];
      for (const m of report.micro)
        log(
          `routing micro ${m.router.padEnd(5)} ${String(m.operations).padStart(2)} ops ${m.path}: matchOperation ${m.matchUs.toFixed(1)} µs, handleRequest ${m.handleUs.toFixed(1)} µs`,
        );
      const setups: Array<[string, string]> = [
        ['plain Koa', 'koa'],
        ['openapi-backend + installRouter', 'ours-10'],
        ['openapi-backend + installRouter', 'ours-full'],
        ['openapi-backend stock router', 'stock-10'],
        ['openapi-backend stock router', 'stock-full'],
      ];
      // All five up at once (idle ones cost nothing), measured like the endpoints: rounds in alternating
      // order, so that 10 operations vs the full contract is not decided by drift on the shared cores.
      const routed: Endpoint = {
        key: 'routing',
        label: 'GET /api/spaces/{id}',
        method: 'GET',
        path: ROUTED_PATH,
        auth: false,
      };
      const servers: Server[] = [];
      for (const [setup, mode] of setups) {
        servers.push(
          await startServer(
            `${setup} (${mode.endsWith('full') ? 'full contract' : mode.endsWith('10') ? '10 ops' : 'no router'})`,
            'routing-server.ts',
            { BENCH_ROUTING: mode },
            false,
          ),
        );
      }
      const results = await measure(servers, routed, undefined, {
        warmup: Math.min(warmupSeconds, 2),
        seconds: routingSeconds,
      });
      for (const [i, [setup]] of setups.entries()) {
        report.routing.push({
          setup,
          operations: servers[i]!.ready.operations as number,
          load: results[i],
        } satisfies RoutingRow);
      }
      await Promise.all(servers.map((server) => server.child.stop()));
    }

    report.stolenShare = stolenShare(measuring, cpuTimes());
    const markdown = renderMarkdown(report);
    console.log(`\n${markdown}`);
    writeDocument(opts.out, report, markdown);
    log(`written to ${opts.out} (run took ${Math.round((performance.now() - runStarted) / 1000)} s)`);
    const failing = report.endpoints.filter((e) => missedTargets(e, TARGET_RATIO).length);
    if (failing.length) {
      log(
        `below target: ${failing.map((e) => `${e.label} (${missedTargets(e, TARGET_RATIO).join(', ')})`).join('; ')}`,
      );
      if (opts.strict) process.exitCode = 1;
    }
  } finally {
    await cleanUp();
  }
}

/** What the run leaves behind, removed at the end whatever happens (also on SIGINT/SIGTERM). */
let cleanUpSteps: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  await stopAllChildren();
  const steps = cleanUpSteps;
  cleanUpSteps = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      log(`clean-up: ${(error as Error).message}`);
    }
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping every child process`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  async (error: unknown) => {
    console.error(`[bench] FAILED: ${error instanceof Error ? error.message : String(error)}`);
    await cleanUp();
    process.exit(1);
  },
);

/** The command line that reproduces this run: its options, less where the report was written (`--out`). */
function reproducingCommand(args: string[]): string {
  const kept = args.filter((arg, i) => arg !== '--out' && args[i - 1] !== '--out' && !arg.startsWith('--out='));
  return `npm run bench${kept.length ? ` -- ${kept.join(' ')}` : ''}`;
}

// Turns one run's numbers into the Markdown printed to stdout and kept in docs/benchmarks.md. The document
// keeps one section per data-set size (the default 10k run and, e.g., `--spaces 100000`), each replaced by
// the next run of that size.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';
import type { FirstChunk } from './agent-chat-ttfc.js';
import { PAGE, type PlanSample } from './seed-cs.js';
import type { StreamFanout } from './stream-fanout.js';
import { renderTraces, type TracedRow } from './traces.js';

/** A server's numbers on one endpoint, over all its measured rounds. */
export interface Measured extends LoadResult {
  cpuUsPerRequest: number;
  /** Of the server's CPU per request, its time in the kernel (system time). */
  systemUsPerRequest?: number;
  /** The load generator's CPU per request. */
  loadCpuUsPerRequest: number;
  /** The whole machine's busy CPU per request (every process: server, load generator, PostgreSQL, the rest). */
  machineCpuUsPerRequest?: number;
  /** The local PostgreSQL server's CPU per request (its backends), where it runs on this machine. */
  postgresCpuUsPerRequest?: number;
  roundsRps: number[];
}

export interface EndpointRow {
  label: string;
  full: Measured;
  bare: Measured;
  /** node:http + pg writing PostgreSQL's JSON (limit-server.ts), for the reads the platform renders. */
  limit?: Measured;
  /** The design's floor (floor-server.ts): Koa, openapi-backend and knex running the same statement, nothing else. */
  floor?: Measured;
  /** A rendered read's targets: full/bare and full/limit at least these, full's p99 no worse than bare's. */
  targets?: { bare: number; limit: number };
}

/** Servers of one kind as one: requests over seconds, CPU per request weighted by requests, latencies averaged. */
function pooled(servers: Measured[]): Pick<Measured, 'rps' | 'p50' | 'p99' | 'cpuUsPerRequest'> {
  const requests = servers.reduce((n, m) => n + m.requests, 0);
  return {
    rps: requests / servers.reduce((n, m) => n + m.seconds, 0),
    p50: servers.reduce((n, m) => n + m.p50, 0) / servers.length,
    p99: servers.reduce((n, m) => n + m.p99, 0) / servers.length,
    cpuUsPerRequest: servers.reduce((n, m) => n + m.cpuUsPerRequest * m.requests, 0) / requests,
  };
}

/** The targets a row misses: full/bare below its target (the row's, else `target`), full/limit, p99. */
export function missedTargets(e: EndpointRow, target: number): string[] {
  const missed: string[] = [];
  const bareTarget = e.targets?.bare ?? target;
  if (e.full.rps / e.bare.rps < bareTarget) missed.push(`full/bare < ${bareTarget}x`);
  if (e.targets && e.limit && e.full.rps / e.limit.rps < e.targets.limit)
    missed.push(`full/limit < ${e.targets.limit}x`);
  if (e.targets && e.full.p99 > e.bare.p99) missed.push('p99 above bare');
  return missed;
}

/**
 * What the full stack could reach if its own process used no CPU at all, everything else its requests make the
 * machine do (the database, the load generator, the kernel) unchanged and the cores as busy: over bare's req/s.
 */
function serverlessCeiling(e: EndpointRow): number | undefined {
  const machine = e.full.machineCpuUsPerRequest;
  // On PGlite the database runs inside the server's process: a server of no CPU would have no database either.
  if (e.full.postgresCpuUsPerRequest === undefined) return undefined;
  if (machine === undefined || machine <= e.full.cpuUsPerRequest) return undefined;
  return (e.full.rps * machine) / (machine - e.full.cpuUsPerRequest) / e.bare.rps;
}

/** Where each row's CPU went, per request and server: the server, PostgreSQL, the load generator, the rest. */
function renderCpuSplit(r: RunReport): string[] {
  const rows = r.endpoints.filter((e) => e.full.machineCpuUsPerRequest !== undefined);
  if (!rows.length) return [];
  const limits = rows.some((e) => e.limit);
  const each = (e: EndpointRow, f: (m: Measured) => number | undefined, format = int) =>
    [e.full, e.bare, ...(limits ? [e.limit] : [])]
      .map((m) => {
        const n = m && f(m);
        return n === undefined ? '-' : format(n);
      })
      .join(' / ');
  const rest = (m: Measured) =>
    m.machineCpuUsPerRequest === undefined
      ? undefined
      : m.machineCpuUsPerRequest - m.cpuUsPerRequest - m.loadCpuUsPerRequest - (m.postgresCpuUsPerRequest ?? 0);
  const busy = (m: Measured) =>
    m.machineCpuUsPerRequest === undefined ? undefined : (m.machineCpuUsPerRequest * m.rps) / (r.cores * 1e6);
  const servers = limits ? 'full / bare / limit' : 'full / bare';
  const lines = [
    '',
    '### Where the CPU goes',
    '',
    `CPU µs per request, ${servers}, each in its own measured rounds: the server's process, the local PostgreSQL ` +
      "server's processes (`-` when it is not on this machine: PGlite runs inside the server), the load generator's " +
      "process, and the rest of the machine's busy time (the kernel's network work outside those processes, the " +
      "orchestrator, anything else running). Cores busy: the whole machine's busy time over its cores in those rounds. " +
      "Ceiling: the full stack's req/s if its own process took no CPU and the rest stayed as it was, over bare's: " +
      'where it is under a target, no server sending these statements could meet that target on this machine. It assumes the cores stay as busy: a row whose requests wait on a lock (Cores busy well under 100%) could go further with more concurrency, not with less CPU.',
    '',
    `| Endpoint | Server | PostgreSQL | Load generator | Rest | Cores busy | Ceiling / bare |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const e of rows) {
    const ceiling = serverlessCeiling(e);
    lines.push(
      `| ${e.label} | ${each(e, (m) => m.cpuUsPerRequest)} | ${each(e, (m) => m.postgresCpuUsPerRequest)} | ` +
        `${each(e, (m) => m.loadCpuUsPerRequest)} | ${each(e, rest)} | ${each(e, busy, (n) => `${Math.round(n * 100)}%`)} | ` +
        `${ceiling === undefined ? '-' : `${ceiling.toFixed(2)}x`} |`,
    );
  }
  return lines;
}

export interface RoutingRow {
  setup: string;
  operations: number;
  load?: Measured;
}

export interface MicroRow {
  set: string;
  router: string;
  operations: number;
  path: string;
  initMs: number;
  matchUs: number;
  handleUs: number;
}

export interface Startup {
  /** Operations in the contract buildApp served. */
  operations: number;
  importMs: number;
  openDatabaseMs: number;
  buildAppMs: number;
  backendInitMs: number;
  sinceProcessStartMs: number;
  /** Module loading group by group, in a separate fresh process. */
  imports?: Array<{ group: string; ms: number }>;
  importsTotalMs?: number;
}

/**
 * The rows served by the design's floor too: the platform, the floor, the limit and bare side by side, splitting the
 * platform's distance from the limit into what Koa, openapi-backend and knex cost and what its own work costs.
 */
function renderFloor(r: RunReport): string[] {
  const rows = r.endpoints.filter((e) => e.floor);
  if (!rows.length) return [];
  const servers = (e: EndpointRow) => [e.full, e.floor, e.limit, e.bare];
  const each = (e: EndpointRow, f: (m: Measured) => string | undefined) =>
    servers(e)
      .map((m) => (m && f(m)) ?? '-')
      .join(' / ');
  const number = (n: number | undefined) => (n === undefined ? undefined : int(n));
  const lines = [
    '',
    "### The platform's own work against the design's floor",
    '',
    'The floor (scripts/bench/floor-server.ts) is what the design fixes and nothing else: Koa, openapi-backend over the ' +
      "full contract routed by installRouter, and the platform's knex running the same rendered statement as the " +
      'spaces service runs it. It has no request id, access log, metrics, CORS, compression, authentication, input ' +
      "parsing or validation, rate limits or response checks. Full/floor is what the platform's own per-request work " +
      "costs in throughput; floor/limit what Koa, openapi-backend and knex cost against node:http and pg. Each server's " +
      'numbers: full / floor / limit / bare.',
    '',
    '| Endpoint | req/s | Floor/bare | Full/floor | Floor/limit | Server CPU µs/req (of which kernel) | PostgreSQL µs/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const e of rows) {
    const floor = e.floor!;
    lines.push(
      `| ${e.label} | ${each(e, (m) => int(m.rps))} | ${ratio(floor.rps, e.bare.rps)} | ${ratio(e.full.rps, floor.rps)} | ` +
        `${e.limit ? ratio(floor.rps, e.limit.rps) : '-'} | ` +
        `${each(e, (m) => `${int(m.cpuUsPerRequest)} (${number(m.systemUsPerRequest) ?? '-'})`)} | ` +
        `${each(e, (m) => number(m.postgresCpuUsPerRequest))} |`,
    );
  }
  return lines;
}

export interface RunReport {
  date: string;
  command: string;
  database: string;
  node: string;
  cpus: string;
  /** How many cores the machine has (the CPU split's busy share is over all of them). */
  cores: number;
  /** The share of the machine's CPU time the hypervisor gave to other guests while servers ran (cpu-times.ts). */
  stolenShare?: number;
  spaces: number;
  publicSpaces: number;
  searchTerm: string;
  searchMatches: number;
  seedMs: number;
  /** One query's time for the list's total: the counter row vs count(*) of the public spaces. */
  totalQueryMs: { counter: number; countStar: number };
  connections: number;
  warmupSeconds: number;
  seconds: number;
  rounds: number;
  logLevel: string;
  target: number;
  endpoints: EndpointRow[];
  routing: RoutingRow[];
  micro: MicroRow[];
  startup?: Startup;
  /** The communities rows' data (seed-communities.ts), when they ran. */
  communities?: { users: number; messages: number; joinFee: number; seedMs: number };
  /** The customer-service rows' data (seed-cs.ts), when they ran: the sizes, the middle cursor's position, the page queries' plans. */
  cs?: { sizes: number[]; middle: number; plans: PlanSample[]; seedMs: number };
  /** The Rooms rows' data (seed-rooms.ts), when they ran. */
  rooms?: {
    busyMessages: number;
    spreadRooms: number;
    postTransactionMs: number;
    timelineSizes: number[];
    seedMs: number;
  };
  /** The agent chat's time to first chunk (agent-chat-ttfc.ts), one per provider. */
  firstChunk?: FirstChunk[];
  /** The live stream fan-out (stream-fanout.ts), when it ran. */
  streamFanout?: StreamFanout;
  /** The traced server's rows (traces.ts). */
  traces?: TracedRow[];
  /** The full stack with metrics on vs off, the same endpoints in one run (`--only metrics`). */
  /** Two servers with metrics on and two with them off, loaded in the same alternating rounds. */
  /** Each server's most memory at the end of a measured round of the rows above (right after its load). */
  memory?: Array<{ server: string; rssBytes: number; heapUsedBytes: number }>;
  metricsCost?: Array<{ label: string; on: [Measured, Measured]; off: [Measured, Measured] }>;
  /** Section title and marker: `spaces=N` (`spaces=N-pglite`), or `communities` / `rooms` / `cs` / `streams` / `agent-chat` (`...-pglite`) for a run of those rows alone. */
  section: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number) => Math.round(bytes / 1024 / 1024).toLocaleString('en-US');
const ms = (n: number) => (n >= 10 ? String(Math.round(n)) : n.toFixed(1));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

/** The machine line's note on steal time, where it was measured. */
const stolen = (r: RunReport) =>
  r.stolenShare === undefined
    ? ''
    : ` CPU time stolen by the hypervisor while the servers ran: ${(r.stolenShare * 100).toFixed(0)}% (/proc/stat; a virtual machine whose host is busy runs everything slower, unevenly).`;

export function renderMarkdown(r: RunReport): string {
  if (r.section.startsWith('streams') && r.streamFanout) {
    return [
      `## Room streams${r.section.endsWith('pglite') ? ' (PGlite)' : ''}`,
      '',
      `- Date: ${r.date}`,
      `- Command: \`${r.command}\``,
      `- Database: ${r.database}`,
      `- Machine: ${r.cpus}; Node ${r.node}. 2 cores; clients, servers and Postgres share them.${stolen(r)}`,
      '',
      ...renderFanout(r.streamFanout),
    ].join('\n');
  }
  const lines: string[] = [];
  const pglite = r.section.endsWith('pglite') ? ' (PGlite)' : '';
  lines.push(
    r.section.startsWith('communities')
      ? `## Communities${pglite}`
      : r.section.startsWith('rooms')
        ? `## Rooms${pglite}`
        : r.section.startsWith('cs')
          ? `## Customer service${pglite}`
          : r.section.startsWith('agent-chat')
            ? `## Agent chat${pglite}`
            : r.section.startsWith('metrics')
              ? `## Metrics on vs off${pglite}`
              : `## ${int(r.spaces)} spaces${pglite}`,
    '',
  );
  lines.push(`- Date: ${r.date}`);
  lines.push(`- Command: \`${r.command}\``);
  lines.push(
    `- Database: ${r.database}; ${int(r.spaces)} spaces seeded (${int(r.publicSpaces)} public) in ${(r.seedMs / 1000).toFixed(1)} s; ` +
      `the search \`${r.searchTerm}\` matches ${int(r.searchMatches)} public spaces (${((100 * r.searchMatches) / r.publicSpaces).toFixed(1)}%). ` +
      'The users, the space read by id and its sessions made through the services, the other spaces by one INSERT ... SELECT per 5,000.',
  );
  lines.push(
    `- The list's \`total\` (exact): the maintained counter row \`space_public_counts\` takes ${r.totalQueryMs.counter.toFixed(2)} ms per query ` +
      `at this size; \`count(*)\` over the public spaces would take ${r.totalQueryMs.countStar.toFixed(2)} ms (one query at a time, in the seeding process).`,
  );
  if (r.communities) {
    const c = r.communities;
    lines.push(
      `- Communities (in ${(c.seedMs / 1000).toFixed(1)} s of the seeding): two clubs with a ${c.joinFee}-credit join fee (one per server) and ` +
        `${int(c.users)} users with 100 credits who have not joined (each join request is a new user: the tokens rotate, each used once); a club ` +
        `with ${int(c.messages)} messages read by a member. ` +
        "Communities, the reader's membership and every wallet credit made through the services; users, sessions and messages by bulk SQL.",
    );
  }
  if (r.rooms) {
    const m = r.rooms;
    lines.push(
      `- Rooms (in ${(m.seedMs / 1000).toFixed(1)} s of the seeding): a busy room (owner and guest, ${int(m.busyMessages)} messages posted ` +
        "through MessagesService.post) the guest posts to, each request with a fresh idempotency key (the facility's insert, the room lock, " +
        `the event and the message in one transaction); ${int(m.spreadRooms)} rooms the guest posts to in turn, the same way; ` +
        `rooms of ${m.timelineSizes.map(int).join(' and ')} events whose newest 50 the owner reads. ` +
        "Rooms, the guest's invitations and the busy room's messages made through the services; the timeline rooms' events and messages " +
        '(all `message.posted`, gapless seq) by bulk SQL.',
    );
  }
  if (r.cs) {
    const sizes = r.cs.sizes.map(int).join(', ');
    lines.push(
      `- Customer service (in ${(r.cs.seedMs / 1000).toFixed(1)} s of the seeding): official communities with ${sizes} conversations (one per ` +
        'customer, the four statuses in turn, waiting since n seconds ago) whose CS queue their creator reads a page of: the first page, and on the ' +
        `largest a page after its first ${int(r.cs.middle)} entries (by \`cursor\`); an official community with conversations of ${sizes} messages ` +
        '(customer and AI in turn) whose newest page the creator reads. Communities made through the services; customers, conversations and messages by bulk SQL.',
    );
  }
  lines.push(
    `- Machine: ${r.cpus}; Node ${r.node}. 2 cores; client, servers and Postgres share them: compare ratios within one run.${stolen(r)}`,
  );
  lines.push('- Servers: node:http on 127.0.0.1, a pool of 10 database connections each (PGlite: its single one).');
  if (r.endpoints.length)
    lines.push(
      `- Load: autocannon in its own process, ${r.connections} connections; per endpoint and server a ${r.warmupSeconds} s warm-up, then ` +
        `${r.seconds} s measured in ${r.rounds} rounds, the servers' order rotated every round (each server in each position alike; two alternate); each server in its own process, ` +
        "loaded one at a time. req/s = requests / seconds over the rounds; p50 / p99 = mean of the rounds'. Every response was 2xx.",
    );
  lines.push(
    `- Full stack: \`buildApp\` as in production (NODE_ENV=production: response validation on a 1% sample; access log at \`${r.logLevel}\`, ` +
      'written to /dev/null). Bare: Koa + the same knex, opened as the platform opens it (migration check included), the same SQL statements ' +
      'and JSON (checked before the run), no contract layer.',
  );
  lines.push('');

  if (r.endpoints.length) {
    const limits = r.endpoints.some((e) => e.limit);
    const dash = (m: Measured | undefined, f: (m: Measured) => string) => (m ? f(m) : '-');
    lines.push(
      limits
        ? '| Endpoint | Full req/s | Bare req/s | Limit req/s | Full/bare | Full/limit | Full p50 / p99 ms | Bare p50 / p99 ms | Limit p50 / p99 ms | Server CPU µs/req, full / bare / limit |'
        : '| Endpoint | Full req/s | Bare req/s | Full/bare | Full p50 / p99 ms | Bare p50 / p99 ms | Server CPU µs/req, full / bare |',
    );
    lines.push(
      limits
        ? '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
        : '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const e of r.endpoints) {
      const missed = missedTargets(e, r.target);
      const below = missed.length ? ` **(below target: ${missed.join(', ')})**` : '';
      const latency = (m: Measured) => `${ms(m.p50)} / ${ms(m.p99)}`;
      lines.push(
        limits
          ? `| ${e.label} | ${int(e.full.rps)} | ${int(e.bare.rps)} | ${dash(e.limit, (m) => int(m.rps))} | ` +
              `${ratio(e.full.rps, e.bare.rps)} | ${dash(e.limit, (m) => ratio(e.full.rps, m.rps))}${below} | ` +
              `${latency(e.full)} | ${latency(e.bare)} | ${dash(e.limit, latency)} | ` +
              `${int(e.full.cpuUsPerRequest)} / ${int(e.bare.cpuUsPerRequest)} / ${dash(e.limit, (m) => int(m.cpuUsPerRequest))} |`
          : `| ${e.label} | ${int(e.full.rps)} | ${int(e.bare.rps)} | ${ratio(e.full.rps, e.bare.rps)}${below} | ` +
              `${latency(e.full)} | ${latency(e.bare)} | ${int(e.full.cpuUsPerRequest)} / ${int(e.bare.cpuUsPerRequest)} |`,
      );
    }
    const failing = r.endpoints.filter((e) => missedTargets(e, r.target).length);
    const rendered = r.endpoints.find((e) => e.targets)?.targets;
    lines.push(
      '',
      (rendered
        ? `Targets: the reads PostgreSQL renders full/bare >= ${rendered.bare}x and full/limit >= ${rendered.limit}x with p99 no worse than bare's; the others full/bare >= ${r.target}x. `
        : '') +
        (failing.length ? `**Not met** on ${failing.map((e) => e.label).join(', ')}.` : 'Met on every endpoint.'),
    );
    if (limits)
      lines.push(
        '',
        "Limit: node:http + pg, no framework (scripts/bench/limit-server.ts), sending the rendered reads' own statements " +
          "(imported from the area's queries.ts) as named prepared statements and writing PostgreSQL's JSON text unparsed; " +
          "the signed-in detail looks the caller up first with the platform's session statement. Bare: the hand-written " +
          'Koa + knex baseline for those reads (rows to objects to JSON), held to the same JSON.',
      );
    lines.push(
      '',
      "Server CPU µs/req is the server process's own CPU time (process.cpuUsage) over its measured requests: " +
        'when the server is the bottleneck, req/s follows its inverse, and it moves far less than req/s with what else the cores are doing.',
    );
    if (r.memory?.length)
      lines.push(
        '',
        `Memory per instance under load (the most seen at the end of a measured round, right after its load, over every row above): ${r.memory
          .map((m) => `${m.server} ${mib(m.rssBytes)} MiB RSS (JS heap in use ${mib(m.heapUsedBytes)} MiB)`)
          .join('; ')}.`,
      );
    lines.push(...renderCpuSplit(r), ...renderFloor(r), ...renderTraces(r.traces), '');
  }

  if (r.metricsCost?.length) {
    lines.push(
      '### What metrics cost',
      '',
      'The full stack four more times, one build, fresh processes (not the servers of the rows above): two with metrics on ' +
        '(prom-client, the metrics listener scraped every 15 s) and two with `METRICS=off`, started on, off, off, on and loaded in alternating rounds. On/off is the throughput of the two ' +
        "on servers over the two off servers; paired: the median of each round's ratio, which a busy neighbour on the shared cores " +
        'disturbs less. The control is the ratio between the two servers of one kind: what two identical processes differ by in ' +
        'this run, so an on/off ratio inside it is a cost this benchmark cannot tell from nothing. CPU per request from each process.',
      '',
      '| Endpoint | On req/s | Off req/s | On/off | On/off, paired rounds (median) | Control: on 2 / on 1, off 2 / off 1 | On p50 / p99 ms | Off p50 / p99 ms | Server CPU µs/req, on / off |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const m of r.metricsCost) {
      const on = pooled(m.on);
      const off = pooled(m.off);
      const paired = m.on[0].roundsRps
        .map((a, i) => (a + m.on[1].roundsRps[i]!) / (m.off[0].roundsRps[i]! + m.off[1].roundsRps[i]!))
        .sort((a, b) => a - b);
      const median = paired[Math.floor(paired.length / 2)]!;
      const control = `${(m.on[1].rps / m.on[0].rps).toFixed(3)}x, ${(m.off[1].rps / m.off[0].rps).toFixed(3)}x`;
      lines.push(
        `| ${m.label} | ${int(on.rps)} | ${int(off.rps)} | ${(on.rps / off.rps).toFixed(3)}x | ${median.toFixed(3)}x | ${control} | ` +
          `${ms(on.p50)} / ${ms(on.p99)} | ${ms(off.p50)} / ${ms(off.p99)} | ${int(on.cpuUsPerRequest)} / ${int(off.cpuUsPerRequest)} |`,
      );
    }
    lines.push('');
  }

  if (r.cs?.plans.length) {
    lines.push('### Customer service: the page queries as the data grows', '');
    lines.push(
      'Each page query alone, in the seeding process after `vacuum analyze`: `EXPLAIN (ANALYZE, BUFFERS)` after one warm-up run. ' +
        "The queue reads `conversations_queue_idx` (community, status priority, waiting since, id) from the cursor's position and stops after " +
        `${PAGE + 1} rows (a page and one more, for \`nextCursor\`); the messages read \`unique (conversation_id, created_at)\` backwards. Neither sorts, ` +
        'so the buffers touched and the time stay flat from the smallest size to the largest.',
      '',
    );
    lines.push('| Query | Rows in the community / conversation | Plan | Buffers | Execution ms |');
    lines.push('| --- | ---: | --- | ---: | ---: |');
    for (const p of r.cs.plans)
      lines.push(`| ${p.label} | ${int(p.size)} | ${p.plan} | ${int(p.buffers)} | ${p.executionMs.toFixed(3)} |`);
    lines.push('');
  }

  const busy = r.endpoints.find((e) => e.label.includes('(busy room'));
  const spread = r.endpoints.find((e) => e.label.includes('(spread over'));
  if (r.rooms && busy && spread) {
    const perPost = 1000 / busy.full.rps;
    lines.push(
      "What bounds posts per second in one room: a post takes the room's row lock (`select ... for update`, its first statement after " +
        "the idempotency key's insert; the event counter's `update rooms set last_seq = last_seq + 1` needs the same row) and holds it to its " +
        "commit, seven statements later, so one room's posts commit one after another however many connections post, while posts to " +
        `different rooms only share the cores. In this run: ${int(busy.full.rps)} posts/s in the busy room and ${int(spread.full.rps)} spread ` +
        `over ${r.rooms.spreadRooms} rooms on the full stack (${ratio(busy.full.rps, spread.full.rps)}; bare: ${int(busy.bare.rps)} and ` +
        `${int(spread.bare.rps)}, ${ratio(busy.bare.rps, spread.bare.rps)}). ` +
        (busy.full.rps < spread.full.rps
          ? `The busy room is the slower: there a post held the room's lock ~${perPost.toFixed(1)} ms on average under this load. `
          : 'The busy room is not the slower here: at this load the cores, not the lock, bound both. ') +
        `One at a time, in the seeding process, a post's whole transaction took ${r.rooms.postTransactionMs.toFixed(1)} ms at p50 (MessagesService.post).`,
      '',
    );
  }

  if (r.firstChunk?.length) {
    const first = r.firstChunk[0]!;
    const pair = (x: { p50: number; p90: number }, digits = 2) => `${x.p50.toFixed(digits)} / ${x.p90.toFixed(digits)}`;
    const providers: Record<string, string> = {
      local: 'local',
      'openai-compatible': "OpenAI-compatible (the bench's fake server, its own process)",
    };
    lines.push('### Agent chat: time to the first `chunk` event', '');
    lines.push(
      `\`POST /api/communities/{id}/agent-chat\` (a free agent: call fee 0), ${first.requests} requests one at a time per server (after 20 ` +
        'not counted), interleaved (the order turning every round): the full stack, and the bare server doing the same work (scripts/bench/bare-agent-chat.ts: knex alone, the ' +
        `same ${first.statements} SQL statements with the same concurrency, the same events from the same provider, checked before measuring; ` +
        "no contract layer). From sending the request to reading the `meta` event (the stream's first: the call's transaction committed) and " +
        'the first `chunk` event. "Provider alone": its stream called in the bench process, to its first delta.',
      '',
    );
    lines.push(
      '| Provider | Server | to `meta` p50 / p90 ms | to first `chunk` p50 / p90 ms | Server CPU µs/request |',
    );
    lines.push('| --- | --- | ---: | ---: | ---: |');
    for (const f of r.firstChunk) {
      const name = providers[f.provider] ?? f.provider;
      lines.push(
        `| ${name} | full stack | ${pair(f.platform.meta)} | ${pair(f.platform.chunk)} | ${int(f.cpuUs.platform)} |`,
      );
      lines.push(`| ${name} | bare koa+knex | ${pair(f.bare.meta)} | ${pair(f.bare.chunk)} | ${int(f.cpuUs.bare)} |`);
      lines.push(`| ${name} | provider alone | - | ${pair(f.direct, 3)} | - |`);
    }
    const added = r.firstChunk.map((f) => ({ f, ms: f.platform.chunk.p50 - f.bare.chunk.p50 }));
    lines.push(
      '',
      `The platform adds to the first chunk at p50: ${added
        .map(
          ({ f, ms }) =>
            `${ms.toFixed(2)} ms with the ${providers[f.provider] === 'local' ? 'local' : 'OpenAI-compatible'} ` +
            `provider (the median of platform minus the bare request next to it: ${f.paired.p50.toFixed(2)} ms)`,
        )
        .join('; ')}. ` + `Target under 2 ms: ${added.every(({ ms }) => ms < 2) ? 'met' : '**not met**'}.`,
      '',
    );
  }

  if (r.streamFanout) lines.push(...renderFanout(r.streamFanout));

  if (r.routing.length) {
    const koa = r.routing.find((x) => x.setup === 'plain Koa')?.load?.rps;
    lines.push('### Routing: the same trivial handler, `GET /api/spaces/{id}`', '');
    lines.push(
      'Five servers, each answering every operation with the same trivial handler: plain Koa (no router), and openapi-backend ' +
        'configured as buildApp configures it over the first 10 operations of the contract or the full contract, routed by installRouter ' +
        '(find-my-way) or by openapi-backend\'s stock matchOperation (the "before"). Loaded like the endpoints, with a shorter window.',
      '',
    );
    lines.push('| Setup | Operations | req/s | vs plain Koa | p50 / p99 ms | Server CPU µs/req |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const row of r.routing) {
      if (!row.load) continue;
      lines.push(
        `| ${row.setup} | ${row.operations || '-'} | ${int(row.load.rps)} | ${koa ? ratio(row.load.rps, koa) : '-'} | ` +
          `${ms(row.load.p50)} / ${ms(row.load.p99)} | ${row.load.cpuUsPerRequest.toFixed(0)} |`,
      );
    }
    lines.push('');
  }
  if (r.micro.length) {
    lines.push(
      'CPU per request, in-process (no network, no database): `api.router.matchOperation` alone, and the whole `api.handleRequest` with the trivial handler.',
      '',
    );
    lines.push('| Router | Operations | Path | matchOperation µs | handleRequest µs |');
    lines.push('| --- | ---: | --- | ---: | ---: |');
    for (const m of r.micro) {
      lines.push(
        `| ${m.router === 'ours' ? 'installRouter (find-my-way)' : 'openapi-backend stock'} | ${m.operations} | \`${m.path}\` | ${m.matchUs.toFixed(1)} | ${m.handleUs.toFixed(1)} |`,
      );
    }
    const pick = (router: string, set: string) =>
      r.micro.find((m) => m.router === router && m.set === set && m.path === r.micro[0]!.path);
    const [ours10, oursFull, stock10, stockFull] = [
      pick('ours', '10'),
      pick('ours', 'full'),
      pick('stock', '10'),
      pick('stock', 'full'),
    ];
    if (ours10 && oursFull && stock10 && stockFull) {
      lines.push(
        '',
        `Routing \`${ours10.path}\` with installRouter costs ${ours10.matchUs.toFixed(1)} µs at ${ours10.operations} operations and ` +
          `${oursFull.matchUs.toFixed(1)} µs at ${oursFull.operations}: independent of the number of operations. openapi-backend's stock router: ` +
          `${stock10.matchUs.toFixed(0)} µs at ${stock10.operations} and ${stockFull.matchUs.toFixed(0)} µs at ${stockFull.operations}.`,
      );
    }
    lines.push('');
  }

  if (r.startup) {
    const s = r.startup;
    lines.push(`### Start-up (full contract, ${s.operations} operations)`, '');
    lines.push(
      "Measured in the full stack's server process (a fresh `node --import tsx` process, as `npm start` runs):",
      '',
    );
    lines.push('| Step | ms |');
    lines.push('| --- | ---: |');
    lines.push(
      `| **buildApp, database already open** (contract, openapi-backend, router, handlers, Koa) | **${s.buildAppMs}** |`,
    );
    lines.push(`| of which openapi-backend \`init()\` | ${s.backendInitMs} |`);
    lines.push(`| openDatabase (already migrated: connect + migration check) | ${s.openDatabaseMs} |`);
    lines.push(
      `| Loading the app's modules (src/app.ts and everything it imports, TypeScript compiled by tsx) | ${s.importMs} |`,
    );
    lines.push(`| Process start to listening (all of the above) | ${s.sinceProcessStartMs} |`);
    lines.push(
      '',
      `buildApp with the full contract: ${s.buildAppMs < 1000 ? 'under' : '**over**'} the 1 s budget.`,
      '',
    );
    if (s.imports?.length) {
      lines.push(
        `Module loading, group by group in another fresh process (${s.importsTotalMs} ms in all; a group counts the modules it loads first):`,
        '',
      );
      lines.push('| Modules | ms |');
      lines.push('| --- | ---: |');
      for (const g of s.imports) lines.push(`| ${g.group} | ${g.ms} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}

/** The stream fan-out row: live streams beside polling, then memory per connected client. */
function renderFanout(f: StreamFanout): string[] {
  const row = (how: string, x: StreamFanout['stream'][number]) =>
    `| ${how} | ${x.rate}/s | ${x.events} (${x.postedPerSecond.toFixed(1)}/s) | ${int(x.deliveredPerSecond)} | ` +
    `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)} | ${int(x.complete)} / ${int(f.clients)} | ${int(x.serverRequestsPerSecond)}${x.failedPolls ? ` (${int(x.failedPolls)} polls failed)` : ''} | ${Math.round(x.serverCpuPercent)}% |`;
  return [
    '### Room stream fan-out',
    '',
    `One room, ${int(f.clients)} clients spread evenly over ${f.instances} instance${f.instances > 1 ? 's' : ''} of the full stack on one database ` +
      `(each its own process; ${f.instances > 1 ? 'live delivery between them through LISTEN/NOTIFY' : 'PGlite: one process holds the data directory'}); ` +
      `messages posted at ${f.rates.map((rate) => `${rate}/s`).join(', then ')} for ${f.seconds} s each, through the instances in turn. Delay: from the event's \`createdAt\` (taken in the ` +
      'writing transaction, just before its commit) to the client reading it, every event at every client. The same clients then poll ' +
      `\`GET /api/v1/rooms/{id}/events?afterSeq=<last seen>\` every ${f.pollIntervalMs} ms instead (start times spread over the interval), for the same ` +
      'number of events at the same rates. "Complete" counts the clients that got every event exactly once and in order; events ' +
      'delivered/s = deliveries to all clients / (last delivery - first post); server CPU in % of one core, all instances together. ' +
      `The machine's load average was ${f.loadAverage[0].toFixed(1)} before the row and ${f.loadAverage[1].toFixed(1)} after it ` +
      '(2 cores: above 2, every process here waits for a core, and the delays grow with it).',
    '',
    '| Delivery | Rate | Events posted (achieved rate) | Events delivered/s (all clients) | Delay p50 / p99 / max ms | Complete clients | Server req/s | Server CPU |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...f.stream.map((x) => row('live stream (`GET /stream`)', x)),
    ...f.poll.map((x) => row(`polling every ${f.pollIntervalMs} ms (\`GET /events\`)`, x)),
    '',
    ...(f.poll.length
      ? []
      : [
          'Polling is not measured on PGlite: its one connection cannot answer that many clients polling every second.',
          '',
        ]),
    `Memory per connected stream client (the servers' growth after a full GC from ${int(Math.floor(f.clients / 2))} to ${int(f.clients)} clients ` +
      `connected, per client added): ${(f.memory.rssBytesPerClient / 1024).toFixed(1)} KiB RSS, of which JS heap ` +
      `${(f.memory.heapBytesPerClient / 1024).toFixed(1)} KiB (an instance with half the clients: ${Math.round(f.memory.baselineRssMb)} MiB RSS). A client more than the per-client buffer (ROOM_STREAM_BUFFER_EVENTS, ` +
      '1,000) events behind is cut off and resumes from the log, so a slow client holds at most that many references to shared events.',
    '',
  ];
}

const HEADER = `# Benchmarks

Written by \`npm run bench\` (scripts/bench/run.ts); do not edit by hand. Each section is the last run for
one data-set size: \`npm run bench\` writes the 10,000-space one, \`npm run bench -- --spaces 100000 --only
list,search\` the 100,000-space one, \`npm run bench -- --only join,messages,agent-chat\` the communities one,
\`npm run bench -- --only room-post,room-timeline\` the Rooms one, \`npm run bench -- --only cs-queue,cs-messages\` the
customer-service one, \`npm run bench -- --only agent-chat\` the agent chat one, \`npm run bench -- --only stream-fanout\` the room
streams one, \`npm run bench -- --only metrics\` the metrics on vs off one.

What is compared: the platform as deployed (openapi-backend routing through installRouter, generated
validators, authentication, its services, request ids and access log) against a bare Koa + knex
server running the same SQL statements and returning the same JSON (both checked before measuring). The
bare server opens the database as the platform does, migration check included: a process that has parsed
more than four result shapes runs pg's per-row object spread through V8's slow (megamorphic) path, as any
long-running server does, and a bare server that skipped the check did not (~0.14 M instructions a request
on the message page, valgrind --tool=callgrind). The
reads PostgreSQL renders (src/platform/rendered.ts: the spaces list, search and detail so far) are measured
three ways: the platform; the bare Koa + knex server running the hand-written baseline (the same reads in
knex, rows to objects to JSON in JavaScript: listPublicSpaces and spaceDetail in src/spaces/queries.ts), held
to the same JSON; and the limit, node:http + pg with no framework (scripts/bench/limit-server.ts) sending the
platform's own statements, imported from the area's queries.ts, as named prepared statements and writing the
JSON text PostgreSQL returns without parsing it, held to the same JSON and the same SQL (PostgreSQL only: pg
cannot open PGlite). Their targets: full/bare >= 2x, full/limit >= 0.6x, full p99 no worse than bare's. The list
is served a fourth way, by the design's floor (scripts/bench/floor-server.ts): Koa, openapi-backend routed by
installRouter and the platform's knex running the same statement, and none of the platform's own per-request work;
full/floor is what that work costs, floor/limit what the design's fixed parts cost. The
machine has 2 cores shared by the load generator, the server under test and PostgreSQL: absolute numbers
move from run to run, the ratios within one run are what to read.

Options: \`--duration S\` (measured seconds per endpoint and server, 10), \`--rounds N\` (4), \`--warmup S\` (3),
\`--connections N\` (50), \`--spaces N\` (10000), \`--only list,search,get,create,routing\` (or any of
join,messages,agent-chat: the communities rows; room-post,room-timeline: the Rooms rows; cs-queue,cs-messages: the
customer-service rows; metrics: the hot reads with metrics on and off, two servers of each; traces: tracing on, exporting to a local receiver; stream-fanout: live streams vs polling, with \`--stream-clients N\` (1000), \`--stream-rate N,N\` (5,20 events/s), \`--stream-seconds S\` (10), \`--poll-interval MS\` (1000)), \`--joiners N\` (10000), \`--messages N\` (10000), \`--log-level L\`
(the full stack's, info), \`--routing-duration S\` (6), \`--db auto|postgres|pglite\`, \`--strict\` (exit 1
below target), \`--schema NAME\` (the PostgreSQL schema the run owns, dropped and recreated: bench), \`--keep\` (keep the bench schema or PGlite copies), \`--out FILE\` (write there instead),
\`--profile full|bare|limit|metrics|stream\` (a CPU profile of that server, of the four metrics rows' servers, or of the stream instances, in $TMPDIR/platform-bench-profiles; summarise it with
\`npx tsx scripts/bench/profile-summary.ts FILE\`).

The full stack runs its real services, unmodified. An earlier version also ran a third server, the
platform with its data access swapped for the bare server's ("where the full stack's extra time goes"); it
was removed because it patched the platform's services at run time.

What a bare row shares with the platform, and what it does not. Shared, by construction (the bare server
imports them from each area's public file, src/<area>/index.ts): the statements and their row -> JSON
mapping for the spaces create (src/spaces/queries.ts; the list, search and detail are the rendered reads
above), the session's user behind a
bearer token (src/auth/queries.ts), the community and membership reads
(src/communities/reads.ts, queries.ts), the conversation access
read (src/conversations/queries.ts), the room access read (findAccess in src/rooms/), and the idempotency claim, replay and store around posting a room
message (src/platform/idempotency.ts). Rendered by PostgreSQL in the platform, and shared as their hand-written knex baseline,
held to the same JSON but not the same SQL: the CS queue page (csQueuePage in src/official/queries.ts), the conversation message page (conversationMessagePage), the room timeline (timelinePage in src/rooms/), the community message page (communityMessagePage). Not shared, still written in scripts/bench/ and held to the product by
the SQL check: the paid join's wallet moves and paid-month lookup, posting a room message inside that (access,
event log, message insert) and the agent chat. What the bare server leaves out is what a
row measures: openapi-backend routing, request and response validation, the middlewares (request ids,
access log, compression, CORS, problem types), the dispatch pipeline with its request context, and the
services' Objection hydration where a service uses it; routing is a few regular expressions, defaults are
applied inline, and errors are bare statuses.
`;

/** Where the document's hand-written tail starts (how a hot read is made, why the hot paths look as they do). */
const NOTES_MARKER = '<!-- notes: written by hand, kept by every run -->';

/**
 * Rewrites the benchmarks document: the header, then one section per data-set size, this run's replaced, then
 * the hand-written notes after NOTES_MARKER, kept as they are.
 */
export function writeDocument(path: string, r: RunReport, markdown: string): void {
  const sections = new Map<string, string>();
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const notesAt = existing.indexOf(NOTES_MARKER);
  const notes = notesAt === -1 ? '' : `\n${existing.slice(notesAt).trimEnd()}\n`;
  for (const match of existing.matchAll(/<!-- bench:(\S+) -->\n[\s\S]*?\n<!-- \/bench:\1 -->/g)) {
    sections.set(match[1]!, match[0]);
  }
  sections.set(r.section, `<!-- bench:${r.section} -->\n${markdown.trimEnd()}\n<!-- /bench:${r.section} -->`);
  // The spaces sections by size, then the communities and Rooms ones.
  const order = (key: string) =>
    key.startsWith('spaces=')
      ? Number.parseInt(key.slice(7), 10) + (key.endsWith('pglite') ? 0.5 : 0)
      : Number.MAX_SAFE_INTEGER;
  const body = [...sections]
    .sort((x, y) => order(x[0]) - order(y[0]) || x[0].localeCompare(y[0]))
    .map(([, section]) => section)
    .join('\n\n');
  writeFileSync(path, `${HEADER}\n${body}\n${notes}`);
}

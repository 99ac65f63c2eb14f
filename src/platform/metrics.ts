// Prometheus metrics (prom-client): every metric the platform exports is defined here, once, with its help text.
// Each app owns its own registry (src/app.ts builds one per `buildApp`, so tests can run several apps in one
// process), served by a separate listener (src/http/metrics-server.ts), never on the API's port.
//
// Labels are bounded: an operationId, a method, a status class, a fixed kind or outcome. Never a user, a room,
// a URL or a host. Areas do not import prom-client: they are given a `Recorder` (below) by src/services.ts.
//
// Cost: what is recorded per request and per statement goes to lean families (`Family` below: a child per label
// set, cached per operation, method and status class; an observation is a bucket scan and two additions), which
// prom-client reads at scrape time. prom-client's own metrics validate and hash their labels on every call:
// measured at ~10 µs a request in a loaded server, they keep to what happens less often. Measured in the README
// ("Operating it", "Metrics").
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import type { RateLimitName } from '../../generated/server/index.js';
import type { StatementKind } from './database-client.js';
import type { Database } from './database.js';
import { SHUTDOWN_PHASES, type ShutdownPhase } from './shutdown.js';

export type AgentCallOutcome = 'settled' | 'refunded' | 'orphan_refunded';
export type RenewalOutcome = 'charged' | 'failed' | 'past_due' | 'cancelled';
export type RoomRunState = 'completed' | 'failed' | 'cancelled';
export type Reaper = 'agent_calls' | 'room_runs';
/** What an outbound request is for: a fixed kind, never its host. */
export type OutboundTarget = 'voice_sample' | 'agent' | 'speech';
/** Why a live stream was cut off (its client reconnects and resumes). */
export type CutOffReason = 'slow_client' | 'credential_ended' | 'read_failed' | 'shutdown';
export type StreamKind = 'room' | 'agent_chat';

/** What the areas and the kernel record: small, and free of prom-client. `NO_METRICS` records nothing. */
export interface Recorder {
  agentCall(outcome: AgentCallOutcome): void;
  roomRuns(state: RoomRunState, count?: number): void;
  reaperActions(reaper: Reaper, count: number): void;
  idempotentReplay(): void;
  rateLimitRefusal(limit: RateLimitName): void;
  /** `outcome`: `ok`, or the failure's kind (a fixed set: OutboundFailure, `aborted`). */
  outboundFetch(target: OutboundTarget, outcome: string): void;
  streamCutOff(kind: StreamKind, reason: CutOffReason): void;
  /** A background job's run failed (it is retried at its next run). */
  backgroundJobFailed(job: string): void;
}

const nothing = () => undefined;
export const NO_METRICS: Recorder = {
  agentCall: nothing,
  roomRuns: nothing,
  reaperActions: nothing,
  idempotentReplay: nothing,
  rateLimitRefusal: nothing,
  outboundFetch: nothing,
  streamCutOff: nothing,
  backgroundJobFailed: nothing,
};

/** What the SSE writer records about one stream (bound to its kind). */
export interface StreamRecorder {
  opened(): void;
  closed(): void;
  /** One event written; `committedAtMs` when the event says when it was committed (live room events). */
  delivered(committedAtMs: number | undefined): void;
}

/** The values read at scrape time from the parts that hold them (set by src/app.ts). */
export interface ScrapeSources {
  /** Paid agent calls this instance runs now. */
  agentCallsInFlight?: () => number;
  /** Room runs queued and running, across instances (a query). */
  roomRunsOpen?: () => Promise<{ queued: number; running: number }>;
  /** The stop's phase (src/platform/shutdown.ts), or undefined while the instance serves. */
  shutdownPhase?: () => ShutdownPhase | 'stopped' | undefined;
}

/** The lifecycle gauge's phases, in order: serving, the stop's phases, stopped. */
const LIFECYCLE = ['serving', ...SHUTDOWN_PHASES, 'stopped'] as const;

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SIZE_BUCKETS = [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** The operation label of a request no route matched (or served outside the contract: the docs, the site). */
export const UNMATCHED = 'unmatched';
const REQUEST_LABELS = ['operation', 'method', 'status_class'];

interface RequestChildren {
  requests: Child;
  duration: Child;
  requestSize: Child;
  responseSize: Child;
}

/** One label set's values: a counter's total, or a histogram's buckets (not cumulative), sum and count. */
interface Child {
  readonly labels: Record<string, string>;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/**
 * A counter or histogram family kept in plain numbers and read by prom-client at scrape time (a prom-client
 * `Metric` as its registry reads one): an observation costs a bucket scan and two additions, no label hashing.
 */
class Family {
  private readonly children = new Map<string, Child>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[] = [],
  ) {}

  /** The child of these label values (in `labelNames` order), made on first use: callers keep it. */
  child(...values: string[]): Child {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (!child) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i]!]));
      this.children.set(key, (child = { labels, buckets: new Float64Array(this.bounds.length), sum: 0, count: 0 }));
    }
    return child;
  }

  inc(child: Child, by = 1): void {
    child.count += by;
  }

  observe(child: Child, value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i += 1)
      if (value <= bounds[i]!) {
        child.buckets[i]! += 1;
        break;
      }
    child.sum += value;
    child.count += 1;
  }

  /** What prom-client's registry serializes. */
  get() {
    const values: Array<{ metricName?: string; labels: Record<string, string | number>; value: number }> = [];
    for (const { labels, buckets, sum, count } of this.children.values()) {
      if (this.type === 'counter') {
        values.push({ labels, value: count });
        continue;
      }
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i += 1) {
        cumulative += buckets[i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le: this.bounds[i]! },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  register(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** One request's metrics, once it is answered. */
export interface RequestRecord {
  operation: string | undefined;
  method: string;
  status: number;
  seconds: number;
  requestBytes: number | undefined;
  responseBytes: number | undefined;
}

export class Metrics implements Recorder {
  readonly registry = new Registry();
  private readonly sources: ScrapeSources = {};

  private readonly httpRequests = new Family(
    'http_server_requests_total',
    'HTTP requests answered, by operation (operationId, or "unmatched"), method and status class.',
    'counter',
    REQUEST_LABELS,
  ).register(this.registry);
  private readonly httpDuration = new Family(
    'http_server_request_duration_seconds',
    'Time from a request arriving to its handler answering (for an event stream: until the stream starts).',
    'histogram',
    REQUEST_LABELS,
    DURATION_BUCKETS,
  ).register(this.registry);
  private readonly httpRequestSize = new Family(
    'http_server_request_size_bytes',
    'Request body sizes (Content-Length; 0 without a body).',
    'histogram',
    REQUEST_LABELS,
    SIZE_BUCKETS,
  ).register(this.registry);
  private readonly httpResponseSize = new Family(
    'http_server_response_size_bytes',
    'Response body sizes, when known before sending (Content-Length): compressed bodies and event streams are not counted.',
    'histogram',
    REQUEST_LABELS,
    SIZE_BUCKETS,
  ).register(this.registry);
  /** Requests in flight by method, read by the gauge at scrape time. */
  private readonly inFlight = new Map<string, { n: number }>();

  private readonly dbQueryDuration = new Family(
    'db_query_duration_seconds',
    'Database statements, from sending to the answer, by kind of statement.',
    'histogram',
    ['statement'],
    DURATION_BUCKETS,
  ).register(this.registry);

  private readonly streamsOpen = new Gauge({
    name: 'sse_streams_open',
    help: 'Event streams open now on this instance, by kind (room, agent_chat).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly eventsDelivered = new Family(
    'sse_events_delivered_total',
    'Events written to event streams, by kind.',
    'counter',
    ['kind'],
  ).register(this.registry);
  private readonly deliveryLag = new Family(
    'room_event_delivery_lag_seconds',
    "Live room events: from the event's creation in its transaction to its write to a client's stream.",
    'histogram',
    [],
    LAG_BUCKETS,
  ).register(this.registry);
  private readonly cutOffs = new Counter({
    name: 'sse_streams_cut_off_total',
    help: 'Event streams cut off by the server (the client reconnects and resumes), by kind and reason.',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  private readonly busReconnects = new Counter({
    name: 'event_bus_reconnects_total',
    help: "Times the event bus's listening connection was lost and reopened.",
    registers: [this.registry],
  });

  private readonly agentCalls = new Counter({
    name: 'agent_calls_total',
    help: 'Paid agent calls ended, by outcome: settled (reply stored, creator paid), refunded, orphan_refunded (its server died; refunded by the reaper).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly renewals = new Counter({
    name: 'renewals_total',
    help: 'Monthly renewals, by outcome: charged, past_due (not covered, retried), cancelled (past due too long); failed: a renewal run that failed (rolled back, retried at the next run).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly roomRunsEnded = new Counter({
    name: 'room_runs_total',
    help: 'Room agent runs ended, by terminal state (completed, failed, cancelled).',
    labelNames: ['state'],
    registers: [this.registry],
  });
  private readonly reaper = new Counter({
    name: 'reaper_actions_total',
    help: 'Work whose process died, ended by a reaper: agent calls refunded, room runs failed.',
    labelNames: ['reaper'],
    registers: [this.registry],
  });
  private readonly replays = new Counter({
    name: 'idempotent_replays_total',
    help: 'Idempotent requests answered with the stored answer of an earlier one (Idempotent-Replayed).',
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'rate_limit_refusals_total',
    help: "Requests refused with 429 by a rate limit, by the contract's limit name.",
    labelNames: ['limit'],
    registers: [this.registry],
  });
  private readonly outbound = new Counter({
    name: 'outbound_fetches_total',
    help: 'Requests to URLs users give, by what they are for (voice_sample) and outcome (ok, or the failure).',
    labelNames: ['target', 'outcome'],
    registers: [this.registry],
  });
  private readonly jobFailures = new Counter({
    name: 'background_job_failures_total',
    help: 'Runs of a background job that failed (each is retried at its next run), by job.',
    labelNames: ['job'],
    registers: [this.registry],
  });

  /** By operation, then method, then status class (1xx..5xx as 0..4). */
  private readonly requestChildren = new Map<string, Map<string, Array<RequestChildren | undefined>>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = this.sources;
    const inFlight = this.inFlight;
    new Gauge({
      name: 'http_server_requests_in_flight',
      help: 'Requests being handled now (event streams count until they start).',
      labelNames: ['method'],
      registers: [this.registry],
      collect() {
        for (const [method, { n }] of inFlight) this.set({ method }, n);
      },
    });
    new Gauge({
      name: 'agent_calls_in_flight',
      help: 'Paid agent calls this instance runs now.',
      registers: [this.registry],
      collect() {
        this.set(sources.agentCallsInFlight?.() ?? 0);
      },
    });
    new Gauge({
      name: 'room_runs_open',
      help: 'Room agent runs queued or running, across all instances (read from the database at scrape time).',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        if (!sources.roomRunsOpen) return;
        const open = await sources.roomRunsOpen();
        this.set({ state: 'queued' }, open.queued);
        this.set({ state: 'running' }, open.running);
      },
    });
    new Gauge({
      name: 'platform_lifecycle_phase',
      help: `1 for the phase this instance is in, 0 for the others: ${LIFECYCLE.join(', ')} (the stop's phases in order, logged too).`,
      labelNames: ['phase'],
      registers: [this.registry],
      collect() {
        const now = sources.shutdownPhase?.() ?? 'serving';
        for (const phase of LIFECYCLE) this.set({ phase }, phase === now ? 1 : 0);
      },
    });
  }

  /** Where the scrape-time gauges read their values. */
  readFrom(sources: ScrapeSources): void {
    Object.assign(this.sources, sources);
  }

  /** The Prometheus text exposition of every metric, and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  // HTTP (src/http/middleware.ts)

  /** Counts the request in flight; the returned object's `n` is decremented when it is answered. */
  requestStarted(method: string): { n: number } {
    let counter = this.inFlight.get(method);
    if (!counter) this.inFlight.set(method, (counter = { n: 0 }));
    counter.n += 1;
    return counter;
  }

  requestEnded(record: RequestRecord): void {
    const operation = record.operation ?? UNMATCHED;
    // Two lookups by strings the caller already holds (no key built and hashed per request).
    let byMethod = this.requestChildren.get(operation);
    if (!byMethod) this.requestChildren.set(operation, (byMethod = new Map()));
    let byClass = byMethod.get(record.method);
    if (!byClass) byMethod.set(record.method, (byClass = []));
    const index = Math.min(4, Math.max(0, Math.floor(record.status / 100) - 1));
    let children = byClass[index];
    if (!children) {
      const labels = [operation, record.method, STATUS_CLASSES[index]!];
      children = byClass[index] = {
        requests: this.httpRequests.child(...labels),
        duration: this.httpDuration.child(...labels),
        requestSize: this.httpRequestSize.child(...labels),
        responseSize: this.httpResponseSize.child(...labels),
      };
    }
    this.httpRequests.inc(children.requests);
    this.httpDuration.observe(children.duration, record.seconds);
    this.httpRequestSize.observe(children.requestSize, record.requestBytes ?? 0);
    if (record.responseBytes !== undefined) this.httpResponseSize.observe(children.responseSize, record.responseBytes);
  }

  // Event streams (src/http/sse.ts)

  stream(kind: StreamKind): StreamRecorder {
    const open = this.streamsOpen.labels(kind);
    const events = this.eventsDelivered;
    const delivered = events.child(kind);
    const lag = this.deliveryLag;
    const lagChild = lag.child();
    return {
      opened: () => open.inc(),
      closed: () => open.dec(),
      delivered: (committedAtMs) => {
        events.inc(delivered);
        if (committedAtMs !== undefined) lag.observe(lagChild, Math.max(0, Date.now() - committedAtMs) / 1000);
      },
    };
  }

  // The database (src/platform/database.ts's knex)

  /**
   * Times every statement (told by the database's client, src/platform/database-client.ts), and reads the pool's
   * connections at scrape time: in use, idle (free), and acquisitions waiting. The embedded database has a single
   * connection. Returns the function that stops the timing (an app closing on a database it was given).
   */
  watchDatabase(database: Pick<Database, 'knex' | 'kind' | 'statements'>): () => void {
    const { knex, kind } = database;
    const family = this.dbQueryDuration;
    const byKind = new Map<StatementKind, Child>();
    const unwatch = database.statements.add((statement, seconds) => {
      let child = byKind.get(statement);
      if (!child) byKind.set(statement, (child = family.child(statement)));
      family.observe(child, seconds);
    });
    new Gauge({
      name: 'db_pool_connections',
      help: `Database pool connections by state: used, free, pending (acquisitions waiting for one). ${kind === 'pglite' ? 'Embedded database: one connection.' : ''}`.trim(),
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const pool = (knex.client as { pool?: TarnPool }).pool;
        this.set({ state: 'used' }, pool?.numUsed() ?? 0);
        this.set({ state: 'free' }, pool?.numFree() ?? 0);
        this.set({ state: 'pending' }, pool ? pool.numPendingAcquires() + pool.numPendingCreates() : 0);
      },
    });
    return unwatch;
  }

  // Jobs and the event bus (src/app.ts)

  eventBusReconnect(): void {
    this.busReconnects.inc();
  }

  backgroundJobFailed(job: string): void {
    this.jobFailures.labels(job).inc();
  }

  renewalRun(run: { charged: number; pastDue: number; cancelled: number }): void {
    if (run.charged) this.renewals.labels('charged').inc(run.charged);
    if (run.pastDue) this.renewals.labels('past_due').inc(run.pastDue);
    if (run.cancelled) this.renewals.labels('cancelled').inc(run.cancelled);
  }

  renewalRunFailed(): void {
    this.renewals.labels('failed').inc();
  }

  // Recorder

  agentCall(outcome: AgentCallOutcome): void {
    this.agentCalls.labels(outcome).inc();
  }

  roomRuns(state: RoomRunState, count = 1): void {
    if (count > 0) this.roomRunsEnded.labels(state).inc(count);
  }

  reaperActions(reaper: Reaper, count: number): void {
    if (count > 0) this.reaper.labels(reaper).inc(count);
  }

  idempotentReplay(): void {
    this.replays.inc();
  }

  rateLimitRefusal(limit: RateLimitName): void {
    this.rateLimited.labels(limit).inc();
  }

  outboundFetch(target: OutboundTarget, outcome: string): void {
    this.outbound.labels(target, outcome).inc();
  }

  streamCutOff(kind: StreamKind, reason: CutOffReason): void {
    this.cutOffs.labels(kind, reason).inc();
  }
}

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

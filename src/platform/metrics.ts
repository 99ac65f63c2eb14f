// Prometheus metrics (prom-client): every metric the platform exports is defined here, once, with its help text.
// Each app owns its own registry (src/app.ts builds one per `buildApp`, so tests can run several apps in one
// process), served by a separate listener (src/http/metrics-server.ts), never on the API's port.
//
// Labels are bounded: an operationId, a method, a status class, a fixed kind or outcome. Never a user, a room,
// a URL or a host. Areas do not import prom-client: they are given a `Recorder` (below) by src/services.ts.
//
// Cost: the per-request work is a few Map lookups and the label-bound children's increments (children are
// cached per operation, method and status class, so `labels()` is not resolved per request). Measured in the
// README ("Operating it", "Metrics").
import type { Knex } from 'knex';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitName } from '../../generated/server/index.js';

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
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SIZE_BUCKETS = [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** The operation label of a request no route matched (or served outside the contract: the docs, the site). */
export const UNMATCHED = 'unmatched';

interface RequestChildren {
  requests: Counter.Internal;
  duration: Histogram.Internal<string>;
  requestSize: Histogram.Internal<string>;
  responseSize: Histogram.Internal<string>;
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

  private readonly httpRequests = new Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests answered, by operation (operationId, or "unmatched"), method and status class.',
    labelNames: ['operation', 'method', 'status_class'],
    registers: [this.registry],
  });
  private readonly httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time from a request arriving to its handler answering (for an event stream: until the stream starts).',
    labelNames: ['operation', 'method', 'status_class'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly httpInFlight = new Gauge({
    name: 'http_server_requests_in_flight',
    help: 'Requests being handled now (event streams count until they start).',
    labelNames: ['method'],
    registers: [this.registry],
  });
  private readonly httpRequestSize = new Histogram({
    name: 'http_server_request_size_bytes',
    help: 'Request body sizes (Content-Length; 0 without a body).',
    labelNames: ['operation', 'method', 'status_class'],
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  private readonly httpResponseSize = new Histogram({
    name: 'http_server_response_size_bytes',
    help: 'Response body sizes, when known before sending (Content-Length): compressed bodies and event streams are not counted.',
    labelNames: ['operation', 'method', 'status_class'],
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });

  private readonly dbQueryDuration = new Histogram({
    name: 'db_query_duration_seconds',
    help: 'Database statements, from sending to the answer, by kind of statement.',
    labelNames: ['statement'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly streamsOpen = new Gauge({
    name: 'sse_streams_open',
    help: 'Event streams open now on this instance, by kind (room, agent_chat).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly eventsDelivered = new Counter({
    name: 'sse_events_delivered_total',
    help: 'Events written to event streams, by kind.',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  private readonly deliveryLag = new Histogram({
    name: 'room_event_delivery_lag_seconds',
    help: "Live room events: from the event's creation in its transaction to its write to a client's stream.",
    buckets: LAG_BUCKETS,
    registers: [this.registry],
  });
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

  private readonly requestChildren = new Map<string, Array<RequestChildren | undefined>>();
  private readonly inFlightChildren = new Map<string, Gauge.Internal<string>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const sources = this.sources;
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

  requestStarted(method: string): Gauge.Internal<string> {
    let child = this.inFlightChildren.get(method);
    if (!child) this.inFlightChildren.set(method, (child = this.httpInFlight.labels(method)));
    child.inc();
    return child;
  }

  requestEnded(record: RequestRecord): void {
    const operation = record.operation ?? UNMATCHED;
    const key = `${operation} ${record.method}`;
    let byClass = this.requestChildren.get(key);
    if (!byClass) this.requestChildren.set(key, (byClass = []));
    const index = Math.min(4, Math.max(0, Math.floor(record.status / 100) - 1));
    let children = byClass[index];
    if (!children) {
      const labels = [operation, record.method, STATUS_CLASSES[index]!];
      children = byClass[index] = {
        requests: this.httpRequests.labels(...labels),
        duration: this.httpDuration.labels(...labels),
        requestSize: this.httpRequestSize.labels(...labels),
        responseSize: this.httpResponseSize.labels(...labels),
      };
    }
    children.requests.inc();
    children.duration.observe(record.seconds);
    children.requestSize.observe(record.requestBytes ?? 0);
    if (record.responseBytes !== undefined) children.responseSize.observe(record.responseBytes);
  }

  // Event streams (src/http/sse.ts)

  stream(kind: StreamKind): StreamRecorder {
    const open = this.streamsOpen.labels(kind);
    const delivered = this.eventsDelivered.labels(kind);
    const lag = this.deliveryLag;
    return {
      opened: () => open.inc(),
      closed: () => open.dec(),
      delivered: (committedAtMs) => {
        delivered.inc();
        if (committedAtMs !== undefined) lag.observe(Math.max(0, Date.now() - committedAtMs) / 1000);
      },
    };
  }

  // The database (src/platform/database.ts's knex)

  /**
   * Times every statement through knex's query events, and reads the pool's connections at scrape time: in use,
   * idle (free), and acquisitions waiting. The embedded database has a single connection.
   */
  watchDatabase(knex: Knex, kind: 'postgres' | 'pglite'): void {
    const started = new Map<string, number>();
    const byStatement = new Map<string, Histogram.Internal<string>>();
    const ended = (query: { __knexQueryUid?: string; sql?: string; method?: string }) => {
      const uid = query.__knexQueryUid;
      const at = uid === undefined ? undefined : started.get(uid);
      if (at === undefined) return;
      started.delete(uid!);
      const statement = statementOf(query);
      let child = byStatement.get(statement);
      if (!child) byStatement.set(statement, (child = this.dbQueryDuration.labels(statement)));
      child.observe((performance.now() - at) / 1000);
    };
    knex.on('query', (query: { __knexQueryUid?: string }) => {
      if (query.__knexQueryUid === undefined) return;
      // A statement that never reports an end (a stream given up on) must not be kept forever.
      if (started.size >= MAX_PENDING_STATEMENTS) started.clear();
      started.set(query.__knexQueryUid, performance.now());
    });
    knex.on('query-response', (_response: unknown, query: { __knexQueryUid?: string }) => ended(query));
    knex.on('query-error', (_error: unknown, query: { __knexQueryUid?: string }) => ended(query));
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

/** Statements timed at once, at most: far more than a pool of connections can have in flight. */
const MAX_PENDING_STATEMENTS = 10_000;
const STATEMENTS = new Set(['select', 'insert', 'update', 'delete']);

/** select / insert / update / delete, from knex's method or the SQL's first word; anything else (`with ...`, DDL) `other`. */
function statementOf(query: { sql?: string; method?: string }): string {
  if (query.method && STATEMENTS.has(query.method)) return query.method;
  if (query.method === 'del') return 'delete';
  const first = /^\s*(\w+)/.exec(query.sql ?? '')?.[1]?.toLowerCase();
  return first && STATEMENTS.has(first) ? first : 'other';
}

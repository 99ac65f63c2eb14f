// Settings, from the environment. Everything has a default: `npm start` needs no setup at all.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RateLimitName } from '../generated/server/index.js';
import { parseOutboundRules } from './platform/outbound-rules.js';

/** The limit of each of the contract's rate limits (`x-rate-limits`; their windows are in the contract). */
export type RateLimits = Record<RateLimitName, number>;

export interface Config {
  port: number;
  host: string;
  /** PGlite data directory, used when `databaseUrl` is not set. */
  dataDir: string;
  /** `postgres://...`: use this PostgreSQL server (pooled) instead of the embedded database. */
  databaseUrl?: string;
  /** Schema to use on the PostgreSQL server (created if missing); tests give each file its own. */
  databaseSchema?: string;
  poolMax: number;
  /** Each readiness check (`/readyz`) is failing when it has no answer within this long. */
  readinessTimeoutMs: number;
  /**
   * Admin accounts the server creates at start when they do not exist yet (src/auth/admins.ts). A listed email
   * whose account exists is not made admin by this: admin is granted by the operator (`npm run admin`).
   */
  adminEmails: ReadonlySet<string>;
  /** The first password of the accounts `adminEmails` makes; required when there is one to make. */
  adminPassword?: string;
  logLevel: string;
  /** Buffer log output (production): far cheaper per request; flushed every second and on shutdown. */
  logBuffered: boolean;
  /**
   * `strict`: every response is validated against the contract and a violation is an error (development,
   * tests). `sample`: a fraction (`responseSampleRate`) is validated and violations are only logged
   * (production). `off`: none.
   */
  responseValidation: 'strict' | 'sample' | 'off';
  responseSampleRate: number;
  bodyLimitBytes: number;
  /**
   * How many reverse proxies in front of the server add to `X-Forwarded-*` (0: none, the headers are
   * ignored). The client's address, scheme and host are the entries the outermost of them wrote, counted
   * from the right: whatever a client writes to the left of them changes nothing.
   */
  trustedProxyHops: number;
  /** The HTTP server's read timeouts and connection limit (src/http/http-server.ts). */
  http: HttpServerConfig;
  sessionTtlDays: number;
  /** How long idempotency keys are kept (at least 24 h). */
  idempotencyRetentionHours: number;
  rateLimits: RateLimits;
  /**
   * `redis://...`: count the rate limits in this Redis, shared by every instance. Unset: each process counts
   * its own (fine for one instance).
   */
  redisUrl?: string;
  /** Prefix of every key the platform writes to Redis (several deployments, or test runs, can share one). */
  redisKeyPrefix: string;
  /**
   * Origins browsers may call the API from (CORS), exactly as a browser sends them (`https://app.example.com`),
   * or `*` for any origin without credentials. Empty (the default): no CORS headers at all.
   */
  corsOrigins: readonly string[];
  /** The platform's share of every community fee, 0 to 1 (the creator receives the rest). */
  platformFeeShare: number;
  /** How often each instance looks for monthly renewals that are due. */
  renewalIntervalSeconds: number;
  /** How often an open event stream gets a keep-alive comment. */
  sseKeepAliveMs: number;
  /**
   * How many room events a live stream's client may be behind before it is disconnected (to resume with
   * Last-Event-ID): what one slow client can hold in memory.
   */
  roomStreamBufferEvents: number;
  /** Open room streams one user may hold on this instance (past it: 429 TOO_MANY_STREAMS). */
  maxStreamsPerUser: number;
  agent: AgentConfig;
  /** The room agent-run worker every instance runs. */
  runs: RunsConfig;
  /** Text to speech for agents' replies; without it, replies have no audio. */
  speech?: SpeechConfig;
  /** Requests to URLs users give (voice samples): src/platform/outbound-fetch.ts. */
  outbound: OutboundConfig;
  /** Voice cloning jobs one instance runs at once (each downloads samples). */
  voiceCloningConcurrency: number;
  /**
   * Demo mode (`DEMO=true`): load the demo data (src/demo/) at start and relax the sign-up and sign-in limits,
   * so the docs' samples run as written. Never on by default; refused in production.
   */
  demo: boolean;
  /**
   * Export OpenTelemetry traces over OTLP/HTTP (src/platform/tracing.ts): on when the standard variables ask for
   * it (`tracesWanted`); the SDK reads the other OTEL_* variables itself.
   */
  tracing: boolean;
  /** Prometheus metrics, served on their own listener (src/http/metrics-server.ts); undefined when off. */
  metrics?: MetricsConfig;
}

/** Where the metrics listener listens (never the API's port). */
export interface MetricsConfig {
  host: string;
  port: number;
  /**
   * The port was set (METRICS_PORT): when it is taken the start is refused. The default port, taken (another
   * instance on this machine), only costs this instance its metrics, with a warning.
   */
  portExplicit: boolean;
}

/** The metrics listener's port unless METRICS_PORT says otherwise (Prometheus' registry of exporter ports: 9464). */
export const DEFAULT_METRICS_PORT = 9464;

/** `METRICS` (on unless `off`/`false`/`0`), `METRICS_HOST` (loopback unless set), `METRICS_PORT`. */
function metricsConfig(env: NodeJS.ProcessEnv): MetricsConfig | undefined {
  const on = (env.METRICS ?? '').trim().toLowerCase();
  if (['off', 'false', '0'].includes(on)) return undefined;
  if (!['', 'on', 'true', '1'].includes(on)) throw new Error(`METRICS must be on or off, not "${env.METRICS}"`);
  const explicit = env.METRICS_PORT !== undefined && env.METRICS_PORT.trim() !== '';
  const port = explicit ? Number(env.METRICS_PORT) : DEFAULT_METRICS_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`METRICS_PORT must be a port number (0 to 65535), not "${env.METRICS_PORT}"`);
  return { host: env.METRICS_HOST || '127.0.0.1', port, portExplicit: explicit };
}

/** Where requests on a user's behalf may go, and how long they may take. */
export interface OutboundConfig {
  /** Hosts, domains (`.example.com`), addresses or CIDRs, with an optional port, reachable although not public. */
  allowHosts: readonly string[];
  /** The same kinds of entry, refused although public; a denial wins over an allowance. */
  denyHosts: readonly string[];
  /** Lookup, connection, TLS and the answer's headers, per hop. */
  connectTimeoutMs: number;
  /** Everything: every hop and the whole body. */
  timeoutMs: number;
  /** PEM of an extra certificate authority to trust besides the system's (OUTBOUND_CA_FILE). */
  ca?: string;
}

export interface HttpServerConfig {
  /** A request's headers not all received this long after its first byte (or after the connection opened): 408, closed. */
  headersTimeoutMs: number;
  /**
   * A whole request (headers and body) not received this long after its first byte: 408, closed. It ends when
   * the request is received: a response that goes on (an event stream) is not bounded by it.
   */
  requestTimeoutMs: number;
  /** Open connections at most; a connection past it is closed as soon as it is accepted. */
  maxConnections: number;
  /**
   * How long an idle kept-alive connection stays open. Longer than a load balancer's idle timeout (60 s on most),
   * so the balancer, not the server, closes it: a server closing first races the balancer's next request on
   * that connection, which then fails (a 502 to its client).
   */
  keepAliveTimeoutMs: number;
}

/** The agent provider: the local one (no network), or an OpenAI-compatible server when `baseUrl` is set. */
export interface AgentConfig {
  baseUrl?: string;
  apiKey?: string;
  /** No first chunk, or no next chunk, within this long: the call fails with AGENT_TIMEOUT (and is refunded). */
  timeoutMs: number;
  /** How often an instance marks the paid agent calls it runs alive. */
  callHeartbeatMs: number;
  /** An agent call with no heartbeat for this long (its server died) is refunded by any instance. */
  callStaleAfterMs: number;
}

export interface RunsConfig {
  /** Runs executed at once by one instance. */
  concurrency: number;
  /** Running runs per room, across instances (the others wait, queued, in order). */
  perRoom: number;
  /** How often an idle worker looks for queued runs (a post on the same instance wakes it at once). */
  pollMs: number;
  heartbeatMs: number;
  /** A running run with no heartbeat for this long (its process died) is failed by the reaper. */
  staleAfterMs: number;
  maxToolCalls: number;
}

export interface SpeechConfig {
  baseUrl: string;
  apiKey?: string;
  model: string;
  voice: string;
}

const number = (value: string | undefined, fallback: number) => {
  const parsed = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
};

/**
 * `TRUST_PROXY`: `false` (or unset, or 0), `true` (one proxy) or the number of proxies in front of the server;
 * anything else is refused at start.
 */
function parseProxyHops(value: string | undefined): number {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'false') return 0;
  if (text === 'true') return 1;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  throw new Error(
    `TRUST_PROXY must be false, true (one proxy in front of the server) or the number of proxies in front of it, not "${value}"`,
  );
}

/**
 * Descriptors the process may open (Linux: /proc/self/limits; undefined elsewhere). Node raises its soft limit
 * to the hard one at start, so this is what the process really has.
 */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors kept for everything else a server opens: the database's connections and files, logs, outbound calls. */
const RESERVED_DESCRIPTORS = 256;

function httpServerConfig(env: NodeJS.ProcessEnv): HttpServerConfig {
  const headersTimeoutMs = Math.max(100, number(env.HEADERS_TIMEOUT_MS, 10_000));
  const requestTimeoutMs = Math.max(100, number(env.REQUEST_TIMEOUT_MS, 30_000));
  // Node refuses a headers timeout longer than the whole request's.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new Error(
      `HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be longer than REQUEST_TIMEOUT_MS (${requestTimeoutMs}), which includes the headers`,
    );
  }
  const files = openFileLimit();
  const fallback = Math.min(10_000, files === undefined ? Infinity : Math.max(1, files - RESERVED_DESCRIPTORS));
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections: Math.max(1, Math.round(number(env.MAX_CONNECTIONS, fallback))),
    keepAliveTimeoutMs: Math.max(100, number(env.KEEP_ALIVE_TIMEOUT_MS, 65_000)),
  };
}

/** `CORS_ORIGINS`: comma-separated origins (scheme://host[:port], no path) or `*`; anything else is refused at start. */
function parseOrigins(value: string): string[] {
  return value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((origin) => {
      if (origin === '*') return origin;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {
        /* reported below */
      }
      if (!parsed || parsed.origin === 'null' || parsed.origin !== origin.toLowerCase().replace(/\/$/, '')) {
        throw new Error(
          `CORS_ORIGINS: "${origin}" is not an origin; write it as a browser sends it, e.g. https://app.example.com or http://localhost:5173 (no path)`,
        );
      }
      return parsed.origin;
    });
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

function outboundConfig(env: NodeJS.ProcessEnv): OutboundConfig {
  const allowHosts = list(env.OUTBOUND_ALLOW_HOSTS);
  const denyHosts = list(env.OUTBOUND_DENY_HOSTS);
  // Checked now, so a mistyped entry stops the start with its name instead of failing each download.
  parseOutboundRules(allowHosts, 'OUTBOUND_ALLOW_HOSTS');
  parseOutboundRules(denyHosts, 'OUTBOUND_DENY_HOSTS');
  let ca: string | undefined;
  if (env.OUTBOUND_CA_FILE) {
    try {
      ca = readFileSync(env.OUTBOUND_CA_FILE, 'utf8');
    } catch (error) {
      throw new Error(`OUTBOUND_CA_FILE: cannot read ${env.OUTBOUND_CA_FILE} (${(error as Error).message})`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error(`OUTBOUND_CA_FILE: ${env.OUTBOUND_CA_FILE} holds no PEM certificate`);
  }
  return {
    allowHosts,
    denyHosts,
    connectTimeoutMs: Math.max(100, number(env.OUTBOUND_CONNECT_TIMEOUT_MS, 10_000)),
    timeoutMs: Math.max(100, number(env.OUTBOUND_TIMEOUT_MS, 60_000)),
    ca,
  };
}

/** Sign-ups and sign-ins in demo mode, per window: a laptop's experiments never lock its owner out. */
const DEMO_AUTH_LIMIT = 10_000;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const demo = flag(env.DEMO, 'DEMO');
  if (demo && production)
    throw new Error(
      'DEMO=true loads accounts with published passwords and API keys: it is refused with NODE_ENV=production.',
    );
  const authLimit = (value: string | undefined, fallback: number) => number(value, demo ? DEMO_AUTH_LIMIT : fallback);
  const validation = env.RESPONSE_VALIDATION ?? (production ? 'sample' : 'strict');
  if (!['strict', 'sample', 'off'].includes(validation))
    throw new Error(`RESPONSE_VALIDATION must be strict, sample or off, not "${validation}"`);
  return {
    port: number(env.PORT, 3000),
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    poolMax: number(env.DATABASE_POOL_MAX, 10),
    adminEmails: new Set(
      (env.ADMIN_EMAILS ?? '')
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    ),
    adminPassword: env.ADMIN_PASSWORD || undefined,
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    logBuffered: production,
    responseValidation: validation as Config['responseValidation'],
    responseSampleRate: number(env.RESPONSE_VALIDATION_SAMPLE_RATE, 0.01),
    bodyLimitBytes: number(env.BODY_LIMIT_BYTES, 1024 * 1024),
    trustedProxyHops: parseProxyHops(env.TRUST_PROXY),
    http: httpServerConfig(env),
    sessionTtlDays: 30,
    idempotencyRetentionHours: Math.max(24, number(env.IDEMPOTENCY_RETENTION_HOURS, 24)),
    rateLimits: {
      signUpPerIp: authLimit(env.RATE_LIMIT_SIGN_UP_PER_HOUR, 10),
      signInPerIp: authLimit(env.RATE_LIMIT_SIGN_IN_PER_15_MIN, 20),
      signInFailuresPerEmailAndIp: authLimit(env.RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MIN, 10),
      inviteeLookupFailuresPerIp: number(env.RATE_LIMIT_INVITEE_LOOKUP_FAILURES_PER_15_MIN, 30),
      // Writes that cost money or make the server fetch something (their windows are in the contract).
      loungeCreatesPerUser: number(env.RATE_LIMIT_LOUNGE_CREATES_PER_HOUR, 20),
      chargesPerUser: number(env.RATE_LIMIT_CHARGES_PER_HOUR, 60),
      agentChatsPerUser: number(env.RATE_LIMIT_AGENT_CHATS_PER_MINUTE, 60),
      roomPostsPerUser: number(env.RATE_LIMIT_ROOM_POSTS_PER_MINUTE, 300),
    },
    redisUrl: env.REDIS_URL || undefined,
    readinessTimeoutMs: Math.max(50, number(env.READINESS_TIMEOUT_MS, 1000)),
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'platform:',
    corsOrigins: parseOrigins(env.CORS_ORIGINS ?? ''),
    platformFeeShare: Math.min(1, Math.max(0, number(env.PLATFORM_FEE_SHARE, 0))),
    renewalIntervalSeconds: number(env.RENEWAL_INTERVAL_SECONDS, 60),
    sseKeepAliveMs: Math.max(1000, number(env.SSE_KEEP_ALIVE_MS, 15_000)),
    roomStreamBufferEvents: Math.max(1, Math.round(number(env.ROOM_STREAM_BUFFER_EVENTS, 1000))),
    maxStreamsPerUser: Math.max(1, Math.round(number(env.MAX_STREAMS_PER_USER, 20))),
    agent: {
      baseUrl: env.AGENT_BASE_URL || undefined,
      apiKey: env.AGENT_API_KEY || undefined,
      timeoutMs: number(env.AGENT_TIMEOUT_MS, 60_000),
      callHeartbeatMs: Math.max(50, number(env.AGENT_CALL_HEARTBEAT_MS, 5000)),
      callStaleAfterMs: Math.max(500, number(env.AGENT_CALL_STALE_AFTER_MS, 30_000)),
    },
    runs: {
      concurrency: Math.max(1, number(env.RUN_CONCURRENCY, 4)),
      perRoom: Math.max(1, number(env.RUN_ROOM_CONCURRENCY, 2)),
      pollMs: Math.max(50, number(env.RUN_POLL_MS, 1000)),
      heartbeatMs: Math.max(50, number(env.RUN_HEARTBEAT_MS, 5000)),
      staleAfterMs: Math.max(1000, number(env.RUN_STALE_AFTER_MS, 60_000)),
      maxToolCalls: Math.max(0, number(env.RUN_MAX_TOOL_CALLS, 8)),
    },
    speech: env.SPEECH_BASE_URL
      ? {
          baseUrl: env.SPEECH_BASE_URL,
          apiKey: env.SPEECH_API_KEY || undefined,
          model: env.SPEECH_MODEL || 'tts-1',
          voice: env.SPEECH_VOICE || 'alloy',
        }
      : undefined,
    outbound: outboundConfig(env),
    voiceCloningConcurrency: Math.max(1, Math.round(number(env.VOICE_CLONING_CONCURRENCY, 2))),
    demo,
    tracing: tracesWanted(env),
    metrics: metricsConfig(env),
  };
}

/**
 * Whether traces are exported, from the standard OpenTelemetry variables: an OTLP endpoint
 * (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp` turns
 * them on; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keeps them off. Only OTLP over HTTP is
 * built in: another exporter, or `grpc` as the protocol, stops the start rather than exporting nothing.
 */
export function tracesWanted(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return false;
  const other = exporters.filter((e) => e !== 'otlp');
  if (other.length)
    throw new Error(`OTEL_TRACES_EXPORTER may be otlp or none: this server has no "${other.join(', ')}" exporter.`);
  const on =
    exporters.includes('otlp') || !!env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || !!env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || '').trim();
  if (on && protocol === 'grpc')
    throw new Error('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: this server exports traces over OTLP/HTTP only (http/json).');
  return on;
}

/** `true`/`1` or `false`/`0`/unset; anything else stops the start, naming the variable. */
function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw new Error(`${name} must be true or false, not "${value}"`);
}

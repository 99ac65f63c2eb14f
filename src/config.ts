// Settings, from the environment. Everything has a default: `npm start` needs no setup at all.
import { resolve } from 'node:path';
import type { RateLimitName } from '../generated/server/index.js';

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
  /** Users whose email is listed here are admins. */
  adminEmails: ReadonlySet<string>;
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
  /** Trust X-Forwarded-* headers (behind a reverse proxy): client IP, and https for Secure cookies. */
  trustProxy: boolean;
  sessionTtlDays: number;
  /** How long idempotency keys are kept (at least 24 h). */
  idempotencyRetentionHours: number;
  rateLimits: RateLimits;
}

const number = (value: string | undefined, fallback: number) => {
  const parsed = value === undefined || value === '' ? NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const validation = env.RESPONSE_VALIDATION ?? (production ? 'sample' : 'strict');
  if (!['strict', 'sample', 'off'].includes(validation)) throw new Error(`RESPONSE_VALIDATION must be strict, sample or off, not "${validation}"`);
  return {
    port: number(env.PORT, 3000),
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.DATA_DIR ?? './data'),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseSchema: env.DATABASE_SCHEMA || undefined,
    poolMax: number(env.DATABASE_POOL_MAX, 10),
    adminEmails: new Set((env.ADMIN_EMAILS ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean)),
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    logBuffered: production,
    responseValidation: validation as Config['responseValidation'],
    responseSampleRate: number(env.RESPONSE_VALIDATION_SAMPLE_RATE, 0.01),
    bodyLimitBytes: number(env.BODY_LIMIT_BYTES, 1024 * 1024),
    trustProxy: env.TRUST_PROXY === 'true',
    sessionTtlDays: 30,
    idempotencyRetentionHours: Math.max(24, number(env.IDEMPOTENCY_RETENTION_HOURS, 24)),
    rateLimits: {
      signUpPerIp: number(env.RATE_LIMIT_SIGN_UP_PER_HOUR, 10),
      signInPerIp: number(env.RATE_LIMIT_SIGN_IN_PER_15_MIN, 20),
      signInFailuresPerEmail: number(env.RATE_LIMIT_SIGN_IN_FAILURES_PER_15_MIN, 10),
    },
  };
}

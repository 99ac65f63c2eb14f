// Fixed-window counters behind the contract's `x-rate-limits` (answered 429 with Retry-After). The limits
// live in configuration, the windows in the contract; the HTTP pipeline (src/http/policies.ts) applies them.
// With REDIS_URL the counters are in Redis, shared by every instance; without it each process counts its own
// (right for a single instance).
import { createHash } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';
import { operations, type RateLimitName } from '../../generated/server/index.js';
import { tooManyRequests } from './errors.js';

export interface RateLimiter {
  /**
   * Counts one hit for `key`, or throws a 429 (counting nothing) when its window is used up. Counting and
   * comparing are one step, so concurrent hits never pass the limit together.
   */
  hit(key: string, now?: number): Promise<void>;
  /** Takes one counted hit of `key` back, if its window still holds one (an attempt that turned out not to count). */
  release(key: string, now?: number): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  async hit(key: string, now = Date.now()): Promise<void> {
    const window = this.current(key, now);
    if (window.count >= this.limit) throw tooManyRequests((window.resetAt - now) / 1000);
    window.count += 1;
  }

  async release(key: string, now = Date.now()): Promise<void> {
    const window = this.windows.get(key);
    if (window && window.resetAt > now && window.count > 0) window.count -= 1;
  }

  private current(key: string, now: number) {
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 100_000) this.prune(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    return window;
  }

  private prune(now: number) {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

// One round trip each, atomic in Redis, the same rules as the in-memory limiter. HIT counts a hit unless the
// window is used up and, on a window's first hit (or on a key that somehow has no expiry), starts the window;
// it returns [1 if counted else 0, milliseconds left in the window]. RELEASE takes one hit back, never below 0.
const HIT = `local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
local counted = 0
if count < tonumber(ARGV[2]) then
  redis.call('INCR', KEYS[1])
  counted = 1
end
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {counted, ttl}`;
const RELEASE = `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
return 0`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rateLimitHit(key: string, windowMs: number, limit: number): Result<[number, number], Context>;
    rateLimitRelease(key: string): Result<number, Context>;
  }
}

/**
 * Reports a Redis outage once, and its end once. While Redis cannot be reached the limiters count in this
 * process instead: the limits still hold, per instance, and requests neither fail nor wait for Redis.
 */
class RedisHealth {
  private down = false;
  constructor(private readonly log: Logger) {}

  failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn({ err: error }, 'Redis is unreachable: rate limits are counted in each process until it is back');
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('Redis is back: rate limits are shared again');
  }
}

/**
 * A fixed window in Redis: every instance's hits go to one counter per key. Redis's clock decides, so `now` is
 * ignored. A release only ever lowers a count above 0; one that comes after its window ended lowers the next
 * window's instead, which only the caller whose attempt succeeded can cause.
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly health: RedisHealth,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowMs: number,
    /** Counts instead while Redis cannot be reached. */
    private readonly fallback: RateLimiter,
  ) {}

  async hit(key: string): Promise<void> {
    const answer = await this.ask(() => this.redis.rateLimitHit(this.keyOf(key), this.windowMs, this.limit));
    if (!answer) return this.fallback.hit(key);
    const [counted, ttl] = answer;
    if (!counted) throw tooManyRequests(ttl / 1000);
  }

  async release(key: string): Promise<void> {
    const answer = await this.ask(() => this.redis.rateLimitRelease(this.keyOf(key)));
    if (answer === undefined) return this.fallback.release(key);
  }

  private async ask<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      const answer = await command();
      this.health.answered();
      return answer;
    } catch (error) {
      this.health.failed(error);
      return undefined;
    }
  }

  /** Keys are emails or IPs: hashed, so Redis holds no personal data and keys have one length. */
  private keyOf(key: string): string {
    return `${this.prefix}${createHash('sha256').update(key).digest('base64url').slice(0, 32)}`;
  }
}

/** Where the counters are shared, when they are (REDIS_URL). */
export interface SharedCounters {
  redis: Redis;
  /** Prefix of every key (REDIS_KEY_PREFIX). */
  keyPrefix: string;
  log: Logger;
}

/**
 * One limiter per limit the contract names, with its window from the contract and its limit from `limits`:
 * in Redis when `shared` is given, in this process otherwise.
 */
export function createRateLimiters(
  limits: Record<RateLimitName, number>,
  shared?: SharedCounters,
): Record<RateLimitName, RateLimiter> {
  if (shared) {
    shared.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
    shared.redis.defineCommand('rateLimitRelease', { numberOfKeys: 1, lua: RELEASE });
  }
  const health = shared ? new RedisHealth(shared.log) : undefined;
  const limiters = {} as Record<RateLimitName, RateLimiter>;
  for (const op of operations) {
    for (const policy of op.rateLimits) {
      if (limiters[policy.name]) continue;
      const limit = limits[policy.name];
      const windowMs = policy.windowSeconds * 1000;
      const memory = new MemoryRateLimiter(limit, windowMs);
      limiters[policy.name] =
        shared && health
          ? new RedisRateLimiter(
              shared.redis,
              health,
              `${shared.keyPrefix}rate-limit:${policy.name}:`,
              limit,
              windowMs,
              memory,
            )
          : memory;
    }
  }
  return limiters;
}

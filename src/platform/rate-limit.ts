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
  /** Throws a 429 when `key` has used up its window; otherwise counts one hit. */
  hit(key: string, now?: number): Promise<void>;
  /** Throws a 429 when `key` has used up its window, without counting. */
  check(key: string, now?: number): Promise<void>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly limit: number, private readonly windowMs: number) {}

  async hit(key: string, now = Date.now()): Promise<void> {
    const window = this.current(key, now);
    if (window.count >= this.limit) throw tooManyRequests((window.resetAt - now) / 1000);
    window.count += 1;
  }

  async check(key: string, now = Date.now()): Promise<void> {
    const window = this.current(key, now);
    if (window.count >= this.limit) throw tooManyRequests((window.resetAt - now) / 1000);
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

// One round trip each, atomic in Redis. HIT counts and, on a window's first hit (or on a key that somehow has
// no expiry), starts the window; both return [count, milliseconds left in the window].
const HIT = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;
const PEEK = `return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rateLimitHit(key: string, windowMs: number): Result<[number, number], Context>;
    rateLimitPeek(key: string): Result<[number, number], Context>;
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
 * A fixed window in Redis: every instance's hits go to one counter per key. Unlike the in-memory limiter,
 * hits beyond the limit are counted too (INCR first, then compare), which changes nothing: the window still
 * ends when its first hit's expiry does. Redis's clock decides, so `now` is ignored.
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
    const counted = await this.ask(() => this.redis.rateLimitHit(this.keyOf(key), this.windowMs));
    if (!counted) return this.fallback.hit(key);
    if (counted[0] > this.limit) throw tooManyRequests(counted[1] / 1000);
  }

  async check(key: string): Promise<void> {
    const counted = await this.ask(() => this.redis.rateLimitPeek(this.keyOf(key)));
    if (!counted) return this.fallback.check(key);
    if (counted[0] >= this.limit) throw tooManyRequests(counted[1] / 1000);
  }

  private async ask(command: () => Promise<[number, number]>): Promise<[number, number] | undefined> {
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
export function createRateLimiters(limits: Record<RateLimitName, number>, shared?: SharedCounters): Record<RateLimitName, RateLimiter> {
  if (shared) {
    shared.redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
    shared.redis.defineCommand('rateLimitPeek', { numberOfKeys: 1, lua: PEEK });
  }
  const health = shared ? new RedisHealth(shared.log) : undefined;
  const limiters = {} as Record<RateLimitName, RateLimiter>;
  for (const op of operations) {
    for (const policy of op.rateLimits) {
      if (limiters[policy.name]) continue;
      const limit = limits[policy.name];
      const windowMs = policy.windowSeconds * 1000;
      const memory = new MemoryRateLimiter(limit, windowMs);
      limiters[policy.name] = shared && health
        ? new RedisRateLimiter(shared.redis, health, `${shared.keyPrefix}rate-limit:${policy.name}:`, limit, windowMs, memory)
        : memory;
    }
  }
  return limiters;
}

// Fixed-window counters behind the contract's `x-rate-limits` (answered 429 with Retry-After). The limits
// live in configuration, the windows in the contract; the HTTP pipeline (src/http/policies.ts) applies them.
// Counters are kept in this process: with several instances each enforces a limit on its own share of
// traffic. The interface is async so that a shared store can take this one's place.
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

/** One limiter per limit the contract names, with its window from the contract and its limit from `limits`. */
export function createRateLimiters(limits: Record<RateLimitName, number>): Record<RateLimitName, RateLimiter> {
  const limiters = {} as Record<RateLimitName, RateLimiter>;
  for (const op of operations) {
    for (const policy of op.rateLimits) {
      limiters[policy.name] ??= new MemoryRateLimiter(limits[policy.name], policy.windowSeconds * 1000);
    }
  }
  return limiters;
}

// Fixed-window counters for the auth endpoints (documented as 429 with Retry-After). Kept in this process:
// with several instances each enforces the limit on its own share of traffic.
import { tooManyRequests } from '../errors/api-error.js';

export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly limit: number, private readonly windowMs: number) {}

  /** Throws a 429 when `key` has used up its window; otherwise counts one hit. */
  hit(key: string, now = Date.now()): void {
    const window = this.current(key, now);
    if (window.count >= this.limit) throw tooManyRequests((window.resetAt - now) / 1000);
    window.count += 1;
  }

  /** Throws a 429 when `key` has used up its window, without counting. */
  check(key: string, now = Date.now()): void {
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

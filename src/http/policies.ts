// The per-operation policies the contract declares, applied in one place (dispatch.ts calls them in order):
// the admin role (`x-who-may-call: admin`), rate limits (`x-rate-limits`) and idempotency
// (`x-idempotency`). Authentication, before them, is security.ts.
import type { OperationMeta, RateLimitName, RateLimitPolicy } from '../../generated/server/index.js';
import { ApiError, forbidden } from '../platform/errors.js';
import { requestHash, type IdempotencyFacility, type StoredResult } from '../platform/idempotency.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import type { Principal } from '../platform/principal.js';
import type { RateLimiter } from '../platform/rate-limit.js';
import type { Transaction } from '../platform/transactions.js';

export interface ValidatedRequest {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

/** 403 when the operation requires a role (only `admin` exists) the caller does not have. */
export function requireRoles(meta: OperationMeta, principal: Principal | undefined): void {
  if (meta.roles.includes('admin') && principal && !principal.isAdmin)
    throw forbidden('ADMIN_REQUIRED', 'This operation is for admins only.');
}

/** A `body.<field>` or `path.<name>` reference into the validated request. */
function pick(request: ValidatedRequest, reference: string): unknown {
  const [part, name] = reference.split('.', 2) as ['body' | 'path' | 'query', string];
  const source = part === 'body' ? (request.body as Record<string, unknown> | undefined) : request[part];
  return source?.[name];
}

/**
 * A request's hits on its `rejected` limits, held until its handler has answered: kept when the handler refused
 * it with a 4xx, given back otherwise.
 */
export interface CountedAttempt {
  settle(error?: unknown): Promise<void>;
}

const NOTHING_HELD: CountedAttempt = { settle: async () => undefined };

/** Who a request's limits count: its client address, and its caller when it has one. */
export interface Caller {
  ip: string;
  userId?: string;
}

/**
 * The contract's `x-rate-limits`. Every limit counts a request before its handler runs, in the same step that
 * compares it with the limit, so concurrent requests never pass a limit together. A `rejected` limit (failed
 * sign-ins) counts every attempt as refused until its handler answers, and gives it back when the handler did
 * not refuse it: at most the limit's number of attempts are ever evaluated in a window.
 */
export class RateLimits {
  constructor(
    private readonly limiters: Record<RateLimitName, RateLimiter>,
    /** Counts refusals by limit (`rate_limit_refusals_total`). */
    private readonly metrics: Recorder = NO_METRICS,
  ) {}

  /**
   * `ip`, `user` (the caller's id: the contract puts it only on operations that require a caller), `body.<field>`
   * (trimmed, lower-cased), or several of them joined by `+`: one counter per combination.
   */
  private key(policy: RateLimitPolicy, request: ValidatedRequest, caller: Caller): string {
    return policy.key
      .split('+')
      .map((part) =>
        part === 'ip'
          ? caller.ip
          : part === 'user'
            ? (caller.userId ?? caller.ip)
            : String(pick(request, part) ?? '')
                .trim()
                .toLowerCase(),
      )
      .join('\n');
  }

  /** Before the handler: counts the request on each of the operation's limits (429 when one is used up). */
  async before(meta: OperationMeta, request: ValidatedRequest, caller: Caller): Promise<CountedAttempt> {
    if (!meta.rateLimits.length) return NOTHING_HELD;
    const held: Array<{ limiter: RateLimiter; key: string }> = [];
    const giveBack = () => Promise.all(held.map(({ limiter, key }) => limiter.release(key).catch(() => undefined)));
    try {
      for (const policy of meta.rateLimits) {
        const limiter = this.limiters[policy.name];
        const key = this.key(policy, request, caller);
        await limiter.hit(key).catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 429) this.metrics.rateLimitRefusal(policy.name);
          throw error;
        });
        if (policy.counts === 'rejected') held.push({ limiter, key });
      }
    } catch (error) {
      await giveBack(); // refused by a later limit: the handler never evaluates it
      throw error;
    }
    if (!held.length) return NOTHING_HELD;
    return {
      settle: async (error?: unknown) => {
        const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
        if (!refused) await giveBack();
      },
    };
  }
}

/**
 * Runs an `x-idempotency` operation's handler under the facility: the key from the request, scoped to
 * (caller, operation, target); the handler's effect in the facility's transaction.
 */
export function runIdempotent(
  facility: IdempotencyFacility,
  meta: OperationMeta,
  principal: Principal,
  request: ValidatedRequest,
  effect: (trx: Transaction) => Promise<StoredResult>,
): Promise<StoredResult & { replayed: boolean }> {
  const policy = meta.idempotency!;
  const keyField = policy.key.split('.', 2)[1]!;
  const { [keyField]: key, ...rest } = (request.body ?? {}) as Record<string, unknown>;
  const scope = {
    principalId: principal.user.id,
    operationId: meta.operationId,
    target: String(pick(request, policy.target) ?? ''),
    key: String(key),
  };
  return facility.run(scope, requestHash({ path: request.path, query: request.query, body: rest }), effect);
}

// The per-operation policies the contract declares, applied in one place (dispatch.ts calls them in order):
// the admin role (`[admin]` scopes in `security`), rate limits (`x-rate-limits`) and idempotency
// (`x-idempotency`). Authentication, before them, is security.ts.
import type { OperationMeta, RateLimitName, RateLimitPolicy } from '../../generated/server/index.js';
import { ApiError, forbidden } from '../platform/errors.js';
import { requestHash, type IdempotencyFacility, type StoredResult } from '../platform/idempotency.js';
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
  if (meta.roles.includes('admin') && principal && !principal.isAdmin) throw forbidden('ADMIN_REQUIRED', 'This operation is for admins only.');
}

/** A `body.<field>` or `path.<name>` reference into the validated request. */
function pick(request: ValidatedRequest, reference: string): unknown {
  const [part, name] = reference.split('.', 2) as ['body' | 'path' | 'query', string];
  const source = part === 'body' ? (request.body as Record<string, unknown> | undefined) : request[part];
  return source?.[name];
}

export class RateLimits {
  constructor(private readonly limiters: Record<RateLimitName, RateLimiter>) {}

  private key(policy: RateLimitPolicy, request: ValidatedRequest, clientIp: string): string {
    return policy.key === 'ip' ? clientIp : String(pick(request, policy.key) ?? '').trim().toLowerCase();
  }

  /** Before the handler: counts `all` limits, checks `rejected` ones (429 when used up). */
  async before(meta: OperationMeta, request: ValidatedRequest, clientIp: string): Promise<void> {
    for (const policy of meta.rateLimits) {
      const limiter = this.limiters[policy.name];
      const key = this.key(policy, request, clientIp);
      if (policy.counts === 'all') await limiter.hit(key);
      else await limiter.check(key);
    }
  }

  /** After the handler refused the request with a 4xx: counts the `rejected` limits. */
  async rejected(meta: OperationMeta, request: ValidatedRequest, clientIp: string, error: unknown): Promise<void> {
    if (!(error instanceof ApiError) || error.status < 400 || error.status >= 500) return;
    for (const policy of meta.rateLimits) {
      if (policy.counts === 'rejected') await this.limiters[policy.name].hit(this.key(policy, request, clientIp)).catch(() => undefined);
    }
  }
}

/**
 * Runs an `x-idempotency` operation's handler under the facility: the key from the request, scoped to
 * (caller, operation, target); the handler's effect in the facility's transaction.
 */
export function runIdempotent(
  facility: IdempotencyFacility, meta: OperationMeta, principal: Principal, request: ValidatedRequest,
  effect: (trx: Transaction) => Promise<StoredResult>,
): Promise<StoredResult & { replayed: boolean }> {
  const policy = meta.idempotency!;
  const keyField = policy.key.split('.', 2)[1]!;
  const { [keyField]: key, ...rest } = (request.body ?? {}) as Record<string, unknown>;
  const scope = { principalId: principal.user.id, operationId: meta.operationId, target: String(pick(request, policy.target) ?? ''), key: String(key) };
  return facility.run(scope, requestHash({ path: request.path, query: request.query, body: rest }), effect);
}

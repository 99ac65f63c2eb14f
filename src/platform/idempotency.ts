// The idempotency facility, for every operation the contract marks `x-idempotency` (the HTTP pipeline applies
// it; services only see the transaction it opens). A key is scoped to (principal, operation, target) and
// claimed by inserting its row in the same transaction as the effect:
// - first request: the insert succeeds, the effect runs in that transaction, its status, headers and body are
//   stored; the body as the text that was sent (serialized once, by the pipeline), so a replay is the same bytes;
// - a concurrent duplicate: its insert waits on the primary key until the first commits (then it conflicts and
//   replays what was stored) or rolls back (then it claims the key and runs the effect itself);
// - a later duplicate: conflicts at once and replays; with a different request it is a 409.
// A request that fails (validation, or any error from the effect) records nothing, so it can be retried with
// the same key. Keys are kept at least `retentionMs` (24 h by default), then purged.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from './clock.js';
import { conflict } from './errors.js';
import type { Transaction } from './transactions.js';

export interface IdempotencyScope {
  principalId: string;
  operationId: string;
  /** The id of what the key is scoped to (e.g. the room), or '' . */
  target: string;
  key: string;
}

/** An answer as it is sent, and as a replay sends it again. */
export interface StoredResult {
  status: number;
  /** The response headers the handler set (the ones its response documents), written again on a replay. */
  headers?: Record<string, string | string[]>;
  /**
   * The body exactly as written to the client (JSON text, serialized once by the pipeline), or undefined for
   * none. Stored as text and replayed without parsing: a replay is byte for byte the first answer.
   */
  body: string | undefined;
}

export const DEFAULT_RETENTION_MS = 24 * 3600 * 1000;

/** A stable hash of a request: the same JSON with keys in any order hashes the same. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(stableJson(request)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const keyReused = () =>
  conflict('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used with a different request.');

export class IdempotencyFacility {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly retentionMs = DEFAULT_RETENTION_MS,
  ) {}

  /**
   * Runs `effect` once per scope: returns its result, or the stored result of the earlier request with this
   * key (`replayed: true`). Throws 409 IDEMPOTENCY_KEY_REUSED when the key was used with another request.
   */
  async run(
    scope: IdempotencyScope,
    hash: string,
    effect: (trx: Transaction) => Promise<StoredResult>,
  ): Promise<StoredResult & { replayed: boolean }> {
    return this.db.transaction(async (trx) => {
      const claimed = await trx.raw(
        `insert into idempotency_keys (principal_id, operation_id, target, key, request_hash, created_at)
         values (?, ?, ?, ?, ?, ?) on conflict do nothing returning key`,
        [scope.principalId, scope.operationId, scope.target, scope.key, hash, this.clock.now()],
      );
      if (rowsOf(claimed).length === 0) {
        const stored = await trx('idempotency_keys').where(scope).first<{
          requestHash: string;
          status: number;
          headers: Record<string, string | string[]> | null;
          body: string | null;
        }>('requestHash', 'status', 'headers', 'body');
        if (!stored) throw new Error('idempotency key vanished between conflict and read');
        if (stored.requestHash !== hash) throw keyReused();
        return {
          status: stored.status,
          ...(stored.headers ? { headers: stored.headers } : {}),
          body: stored.body ?? undefined,
          replayed: true,
        };
      }
      const result = await effect(trx);
      await trx('idempotency_keys')
        .where(scope)
        .update({
          status: result.status,
          headers: result.headers && Object.keys(result.headers).length ? JSON.stringify(result.headers) : null,
          body: result.body ?? null,
        });
      return { ...result, replayed: false };
    });
  }

  /** Deletes keys older than the retention; returns how many. */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.retentionMs);
    // `returning`: the embedded driver reports no affected-row count for a plain delete.
    const purged = await this.db('idempotency_keys').where('createdAt', '<', cutoff).delete().returning('key');
    return purged.length;
  }
}

/** Rows of a raw query, whichever driver ran it. */
const rowsOf = (result: unknown): unknown[] => (result as { rows?: unknown[] }).rows ?? [];

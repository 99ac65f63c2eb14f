// The wallet area's hot statements: the wallet and its ledger page, each one statement returning the body's
// JSON (src/platform/rendered.ts); and every charge and credit's lock, conditional update and entry, compiled
// once, the rows as returned (shaped as LedgerEntry, not model instances). Other reads use the models (models.ts).
import type * as T from '../../generated/server/schemas.gen.js';
import type { Minor } from '../platform/money.js';
import type { PageQuery } from '../platform/pages.js';
import {
  compiledRows,
  credits,
  isoTime,
  pageFields,
  type Rendered,
  renderOne,
  renderPage,
  statement,
} from '../platform/rendered.js';
import type { Db, Transaction } from '../platform/transactions.js';
import type { LedgerEntry } from './models.js';

/** A user's wallet ($1): a Wallet's JSON text; no row when there is none. */
const WALLET_STATEMENT = statement(
  'wallet_get',
  `select row_to_json(r)::text from (
    select ${credits('w.balance_minor')} as balance, 'credits' as currency, ${isoTime('w.updated_at')} as "updatedAt"
    from wallets w where w.user_id = $1::uuid
  ) r`,
);

export function renderWallet(db: Db, userId: string): Promise<Rendered<T.Wallet> | undefined> {
  return renderOne<T.Wallet>(db, WALLET_STATEMENT, [userId]);
}

/**
 * A page of a user's ledger, newest first (in the order the entries were written: `seq` descending), with its
 * exact total ($1 the user, $2 limit, $3 offset, $4 page): a LedgerEntryList's JSON text. json_agg reads the
 * page from a sorted subquery, which keeps its order.
 */
const LEDGER_PAGE_STATEMENT = statement(
  'wallet_ledger_page',
  `select '{"entries":' || coalesce((
      select json_agg(r)::text from (
        select e.id, ${credits('e.amount_minor')} as amount, ${credits('e.balance_after_minor')} as "balanceAfter",
          e.kind, e.description, e.reference_type as "referenceType", e.reference_id as "referenceId",
          ${isoTime('e.created_at')} as "createdAt"
        from ledger_entries e where e.user_id = $1::uuid
        order by e.seq desc limit $2::int offset $3::bigint
      ) r), '[]')
    || ${pageFields('$2', '$4')}
    || '}'
  from (select count(*) as total from ledger_entries e where e.user_id = $1::uuid) t`,
);

export async function renderLedgerPage(
  db: Db,
  userId: string,
  { page, limit }: PageQuery,
): Promise<Rendered<T.LedgerEntryList>> {
  return renderPage<T.LedgerEntryList>(db, LEDGER_PAGE_STATEMENT, [userId, limit, (page - 1) * limit, page]);
}

// Every charge and credit runs these, under the wallets' row locks: compiled once, so neither knex builds them nor
// PostgreSQL parses them per movement (a paid join runs five of them while it holds its creator's wallet lock).

const LOCK_WALLETS_STATEMENT = statement(
  'wallets_lock',
  'select user_id from wallets where user_id = any($1::uuid[]) order by user_id for update',
);

/** Locks these users' wallets in a fixed order, so two transfers in opposite directions cannot deadlock. */
export async function lockWallets(trx: Transaction, userIds: readonly string[]): Promise<void> {
  await compiledRows(trx, LOCK_WALLETS_STATEMENT, [userIds]);
}

/** $1 the user, $2 the amount (negative: a charge), $3 now, $4 the balance the charge needs (0 for a credit). */
const ADD_TO_BALANCE_STATEMENT = statement(
  'wallets_add_to_balance',
  `update wallets set balance_minor = balance_minor + $2::bigint, updated_at = $3::timestamptz
  where user_id = $1::uuid and balance_minor >= $4::bigint returning balance_minor`,
);

/**
 * Adds `amount` to the balance when the balance covers a charge (a conditional update: no read-then-write
 * race); the balance after it, or undefined when the wallet is missing or the charge is not covered.
 */
export async function addToBalance(
  trx: Transaction,
  userId: string,
  amount: Minor,
  now: Date,
): Promise<number | undefined> {
  const [updated] = await compiledRows<{ balanceMinor: string }>(trx, ADD_TO_BALANCE_STATEMENT, [
    userId,
    amount,
    now,
    Math.max(0, -amount),
  ]);
  return updated ? Number(updated.balanceMinor) : undefined;
}

/** A ledger entry's columns: every column (test/runtime/rendered.test.ts holds it to `select *`). */
const LEDGER_COLUMNS =
  'id, seq, user_id, amount_minor, balance_after_minor, kind, description, reference_type, reference_id, created_at';

const INSERT_LEDGER_ENTRY_STATEMENT = statement(
  'ledger_entries_insert',
  `insert into ledger_entries (user_id, amount_minor, balance_after_minor, kind, description, reference_type,
    reference_id, created_at)
  values ($1::uuid, $2::bigint, $3::bigint, $4::text, $5::text, $6::text, $7::uuid, $8::timestamptz)
  returning ${LEDGER_COLUMNS}`,
);

export async function insertLedgerEntry(
  trx: Transaction,
  entry: Pick<LedgerEntry, 'userId' | 'kind' | 'description' | 'referenceType' | 'referenceId' | 'createdAt'> & {
    amountMinor: Minor;
    balanceAfterMinor: number;
  },
): Promise<LedgerEntry> {
  const [row] = await compiledRows<LedgerEntry>(trx, INSERT_LEDGER_ENTRY_STATEMENT, [
    entry.userId,
    entry.amountMinor,
    entry.balanceAfterMinor,
    entry.kind,
    entry.description,
    entry.referenceType,
    entry.referenceId,
    entry.createdAt,
  ]);
  return row!;
}

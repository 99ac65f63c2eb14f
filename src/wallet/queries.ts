// The wallet area's hot statements: the wallet and its ledger page, each one statement returning the body's
// JSON (src/platform/rendered.ts); and every charge and credit's conditional update and entry, in plain knex,
// the rows as returned (shaped as LedgerEntry, not model instances). Other reads use the models (models.ts).
import type * as T from '../../generated/server/schemas.gen.js';
import type { Minor } from '../platform/money.js';
import type { PageQuery } from '../platform/pages.js';
import { credits, isoTime, pageFields, type Rendered, renderOne, renderPage, statement } from '../platform/rendered.js';
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

/** Locks these users' wallets in a fixed order, so two transfers in opposite directions cannot deadlock. */
export async function lockWallets(trx: Transaction, userIds: readonly string[]): Promise<void> {
  await trx('wallets').whereIn('userId', userIds).orderBy('userId').forUpdate().select('userId');
}

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
  const [updated] = await trx('wallets')
    .where('userId', userId)
    .where('balanceMinor', '>=', Math.max(0, -amount))
    .update({ balanceMinor: trx.raw('balance_minor + ?', [amount]), updatedAt: now })
    .returning('balanceMinor');
  return updated ? Number((updated as { balanceMinor: string | number }).balanceMinor) : undefined;
}

export async function insertLedgerEntry(
  trx: Transaction,
  entry: Pick<LedgerEntry, 'userId' | 'kind' | 'description' | 'referenceType' | 'referenceId' | 'createdAt'> & {
    amountMinor: Minor;
    balanceAfterMinor: number;
  },
): Promise<LedgerEntry> {
  const [row] = await trx('ledger_entries').insert(entry).returning('*');
  return row as LedgerEntry;
}

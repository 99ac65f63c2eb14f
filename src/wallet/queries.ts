// The wallet area's hot statements (every charge and credit runs them), in plain knex: one statement each,
// the rows as returned (shaped as LedgerEntry, not model instances). Reads use the models (models.ts).
import type { Minor } from '../platform/money.js';
import type { Transaction } from '../platform/transactions.js';
import type { LedgerEntry } from './models.js';

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

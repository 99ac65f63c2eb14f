// Wallets: the one place where balances change. Every change is a conditional update of the wallet row and an
// immutable ledger entry carrying the balance after it, in the caller's transaction, so the balance always
// equals the sum of the entries. A charge the balance does not cover updates no row: 402, and the caller's
// transaction (with everything the charge paid for) rolls back.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import { toMinor, type Minor } from '../platform/money.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';
import { insufficientBalance, walletUserNotFound } from './errors.js';
import { type LedgerEntry, Wallet, type LedgerKind } from './models.js';
import { addToBalance, insertLedgerEntry, lockWallets, renderLedgerPage, renderWallet } from './queries.js';
import { toLedgerEntry } from './wire.js';

export interface Movement {
  userId: string;
  /** Positive: a credit; negative: a charge. Never 0 (fees of 0 write nothing: callers skip them). */
  amount: Minor;
  kind: LedgerKind;
  description: string;
  reference?: { type: string; id: string };
}

export class WalletService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** Hot path: one statement rendering the body, in queries.ts. */
  async get(userId: string): Promise<Rendered<T.Wallet>> {
    const wallet = await renderWallet(this.db, userId);
    if (!wallet) throw walletUserNotFound();
    return wallet;
  }

  /** Hot path: one statement rendering the body, in queries.ts. */
  async ledger(
    userId: string,
    query: HandlerRequest<'listLedgerEntries'>['query'],
  ): Promise<Rendered<T.LedgerEntryList>> {
    return renderLedgerPage(this.db, userId, query);
  }

  /** An admin's credit (`creditWallet`): runs in the idempotency facility's transaction. */
  async credit(userId: string, input: { amount: number; reason: string }, trx?: Transaction): Promise<T.LedgerEntry> {
    return inTransaction(this.db, trx, async (t) =>
      toLedgerEntry(
        await this.move(t, { userId, amount: toMinor(input.amount), kind: 'credit', description: input.reason }),
      ),
    );
  }

  /**
   * Applies movements in one transaction, locking the wallets involved in a fixed order first (queries.ts). A
   * charge not covered is a 402.
   */
  async apply(movements: Movement[], trx: Transaction): Promise<LedgerEntry[]> {
    const userIds = [...new Set(movements.map((m) => m.userId))].sort();
    if (userIds.length > 1) await lockWallets(trx, userIds);
    const entries: LedgerEntry[] = [];
    for (const movement of movements) entries.push(await this.move(trx, movement));
    return entries;
  }

  private async move(trx: Transaction, movement: Movement): Promise<LedgerEntry> {
    const now = this.clock.now();
    const balanceAfter = await addToBalance(trx, movement.userId, movement.amount, now);
    if (balanceAfter === undefined) {
      const exists = await Wallet.query(trx).findById(movement.userId).select('userId');
      if (!exists) throw walletUserNotFound();
      throw insufficientBalance();
    }
    return insertLedgerEntry(trx, {
      userId: movement.userId,
      amountMinor: movement.amount,
      balanceAfterMinor: balanceAfter,
      kind: movement.kind,
      description: movement.description.slice(0, 500),
      referenceType: movement.reference?.type ?? null,
      referenceId: movement.reference?.id ?? null,
      createdAt: now,
    });
  }
}

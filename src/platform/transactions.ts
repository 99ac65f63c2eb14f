// Transactions across services. The rule: every service method that writes takes an optional `trx` as its
// last argument and runs through `inTransaction`: with a caller's transaction it joins it (and never opens a
// second one behind the caller's back); without one it opens its own. A write that spans areas (a wallet
// debit, a membership and a ledger entry; a room event and a message) is one transaction passed down.
import type { Knex } from 'knex';

/** Knex itself, or one of its transactions: what data access reads through. */
export type Db = Knex | Knex.Transaction;
export type Transaction = Knex.Transaction;

/** Calls `then` once `trx` has committed (never when it rolls back): for counting what a transaction did. */
export function afterCommit(trx: Transaction, then: () => void): void {
  trx.executionPromise.then(then, () => undefined);
}

export function inTransaction<T>(
  db: Knex,
  trx: Transaction | undefined,
  work: (trx: Transaction) => Promise<T>,
): Promise<T> {
  return trx ? work(trx) : db.transaction(work);
}

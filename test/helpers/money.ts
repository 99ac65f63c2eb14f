// Money invariants, checked after every money test: each wallet's balance is the sum of its ledger entries, and
// every entry's balanceAfter is the running sum up to it.
import { expect } from 'vitest';
import type { Platform } from '../../src/app.js';

export async function expectLedgersConsistent(platform: Platform): Promise<void> {
  const { knex } = platform.database;
  const mismatched = await knex.raw(`
    select w.user_id, w.balance_minor, coalesce(sum(e.amount_minor), 0) as sum
    from wallets w left join ledger_entries e on e.user_id = w.user_id
    group by w.user_id, w.balance_minor having w.balance_minor <> coalesce(sum(e.amount_minor), 0)`);
  expect(mismatched.rows, 'wallets whose balance is not the sum of their ledger').toEqual([]);
  const running = await knex.raw(`
    select id from (
      select id, balance_after_minor, sum(amount_minor) over (partition by user_id order by seq) as running
      from ledger_entries) e
    where balance_after_minor <> running`);
  expect(running.rows, 'ledger entries whose balanceAfter is not the running sum').toEqual([]);
}

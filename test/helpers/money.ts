// Money invariants, checked after every money test: each wallet's balance is the sum of its ledger entries, and
// every entry's balanceAfter is the running sum up to it; money is conserved across agent calls and fees.
import type { Knex } from 'knex';
import { expect } from 'vitest';
import type { Platform } from '../../src/app.js';
import { afterPlatformShare } from '../../src/platform/money.js';

export async function expectLedgersConsistent(source: Platform | Knex): Promise<void> {
  const knex = 'database' in source ? source.database.knex : source;
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

/**
 * Money is conserved, from the database alone (a killed server's too): every agent call ended (unless
 * `inProgress` allows it) with exactly the entries its state calls for, every settled call with its stored
 * reply, and the sum of all balances equal to the sum of all credits less the platform's share of the fees
 * that were kept, computed here from each fee on its own.
 */
export async function expectMoneyConserved(
  knex: Knex,
  options: { platformFeeShare: number; inProgress?: boolean },
): Promise<void> {
  const calls = (
    await knex.raw(`
    select a.id, a.status, a.fee_minor::bigint as fee, a.reply_message_id, m.id as reply_found,
      coalesce(sum(-e.amount_minor) filter (where e.kind = 'agent_call_fee'), 0)::bigint as charged,
      coalesce(sum(e.amount_minor) filter (where e.kind = 'fee_income'), 0)::bigint as income,
      coalesce(sum(e.amount_minor) filter (where e.kind = 'refund'), 0)::bigint as refunded,
      count(e.id) filter (where e.kind = 'refund') as refunds
    from agent_calls a
    left join community_messages m on m.id = a.reply_message_id
    left join ledger_entries e on e.reference_type = 'agent_call' and e.reference_id = a.id
    group by a.id, m.id`)
  ).rows as Array<Record<string, string | null>>;
  const wrong: string[] = [];
  let kept = 0;
  for (const c of calls) {
    const fee = Number(c.fee);
    const income = afterPlatformShare(fee, options.platformFeeShare);
    const got = {
      charged: Number(c.charged),
      income: Number(c.income),
      refunded: Number(c.refunded),
      refunds: Number(c.refunds),
    };
    const expect =
      c.status === 'settled'
        ? { charged: fee, income, refunded: 0, refunds: 0 }
        : c.status === 'refunded'
          ? { charged: fee, income: 0, refunded: fee, refunds: fee > 0 ? 1 : 0 }
          : { charged: fee, income: 0, refunded: 0, refunds: 0 };
    if (JSON.stringify(got) !== JSON.stringify(expect))
      wrong.push(`call ${c.id} (${c.status}, fee ${fee}): ${JSON.stringify(got)}, expected ${JSON.stringify(expect)}`);
    if (c.status === 'settled' && !c.reply_found) wrong.push(`call ${c.id} is settled without its stored reply`);
    if (c.status === 'in_progress' && !options.inProgress) wrong.push(`call ${c.id} is still in progress`);
    if (c.status === 'settled') kept += fee - income;
  }
  const fees = (
    await knex.raw(`select -amount_minor::bigint as fee from ledger_entries where kind in ('join_fee', 'monthly_fee')`)
  ).rows as Array<{ fee: string }>;
  for (const { fee } of fees) kept += Number(fee) - afterPlatformShare(Number(fee), options.platformFeeShare);
  const [totals] = (
    await knex.raw(`
    select (select coalesce(sum(balance_minor), 0) from wallets)::bigint as balances,
      (select coalesce(sum(amount_minor), 0) from ledger_entries where kind = 'credit')::bigint as credits`)
  ).rows as Array<{ balances: string; credits: string }>;
  // In progress, a call's fee is with nobody yet.
  const held = calls.filter((c) => c.status === 'in_progress').reduce((sum, c) => sum + Number(c.fee), 0);
  if (Number(totals!.balances) + held !== Number(totals!.credits) - kept) {
    wrong.push(
      `balances ${totals!.balances} + fees held by calls in progress ${held} != credits ${totals!.credits} - platform share ${kept}`,
    );
  }
  expect(wrong).toEqual([]);
}

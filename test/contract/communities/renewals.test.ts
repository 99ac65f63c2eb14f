// Monthly renewals, tested by moving the clock: charged once per member and month whatever runs at once,
// past_due then cancelled when unpaid, renewed by joining again; the platform's share of fees.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCommunity,
  joinCommunity,
  listCommunityMembers,
  listLedgerEntries,
  sendCommunityMessage,
  updateCommunity,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { expectLedgersConsistent } from '../../helpers/money.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { balanceOf, fund } from '../../helpers/wallets.js';

const clock = new ManualClock(new Date('2026-01-31T12:00:00Z'));
// Sessions outlive the months the clock moves through.
const server = useTestServer({ platformFeeShare: 0.1, sessionTtlDays: 3650 }, { clock });
afterEach(async () => {
  await expectLedgersConsistent(server.platform);
});
const DAY = 24 * 3600_000;

const statusOf = async (id: string, user: TestUser) =>
  (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === user.user.id)!
    .subscriptionStatus;

async function paidCommunity(monthlyFee: number): Promise<{ id: string; alice: TestUser; bob: TestUser }> {
  const alice = await newUser('Alice');
  const bob = await newUser('Bob');
  const { data } = await createCommunity({ body: { name: 'Paid', monthlyFee }, ...alice.as });
  return { id: data!.id, alice, bob };
}

describe('renewals', () => {
  it('charge monthlyFee when the paid month ends (31 Jan -> 28 Feb -> 28 Mar), once, even with several runs at once', async () => {
    clock.set(new Date('2026-01-31T12:00:00Z'));
    const { id, alice, bob } = await paidCommunity(10);
    await fund(bob, 25);
    await joinCommunity({ path: { id }, ...bob.as });
    expect(await balanceOf(bob)).toBe(15);

    clock.set(new Date('2026-02-28T11:59:59Z'));
    expect((await server.platform.services.communityRenewals.runOnce()).charged).toBe(0);
    clock.set(new Date('2026-02-28T12:00:00Z'));
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => server.platform.services.communityRenewals.runOnce()),
    );
    expect(runs.reduce((sum, r) => sum + r.charged, 0)).toBe(1);
    expect(await balanceOf(bob)).toBe(5);
    expect(await statusOf(id, bob)).toBe('active');
    // 10% platform share: the creator receives 9 of each 10.
    expect(await balanceOf(alice)).toBe(18);
    const monthly = (await listLedgerEntries(bob.as)).data!.entries.filter((e) => e.kind === 'monthly_fee');
    expect(monthly).toHaveLength(2);
    // Each charge and each payment to the creator names the community it is for.
    for (const e of monthly) expect(e).toMatchObject({ amount: -10, referenceType: 'community', referenceId: id });
    const income = (await listLedgerEntries(alice.as)).data!.entries.filter((e) => e.kind === 'fee_income');
    expect(income.map((e) => [e.amount, e.referenceType, e.referenceId])).toEqual([
      [9, 'community', id],
      [9, 'community', id],
    ]);
  });

  it('move an unpaid member to past_due (access kept, retried), then cancelled 7 days after; joining renews', async () => {
    clock.set(new Date('2026-03-01T00:00:00Z'));
    const { id, bob } = await paidCommunity(3);
    await fund(bob, 3);
    await joinCommunity({ path: { id }, ...bob.as });

    clock.set(new Date('2026-04-01T00:00:00Z'));
    await server.platform.services.communityRenewals.runOnce(); // (earlier tests' members may be due too)
    expect(await statusOf(id, bob)).toBe('past_due');
    expect(
      (await sendCommunityMessage({ path: { id }, body: { content: 'still here' }, ...bob.as })).response?.status,
    ).toBe(201);

    clock.advance(6 * DAY);
    await server.platform.services.communityRenewals.runOnce();
    expect(await statusOf(id, bob)).toBe('past_due');
    clock.advance(DAY);
    await server.platform.services.communityRenewals.runOnce();
    expect(await statusOf(id, bob)).toBe('cancelled');
    const refused = await sendCommunityMessage({ path: { id }, body: { content: 'let me in' }, ...bob.as });
    expect(refused.response?.status).toBe(403);
    expect(refused.error).toMatchObject({ code: 'SUBSCRIPTION_INACTIVE' });

    expect((await joinCommunity({ path: { id }, ...bob.as })).response?.status).toBe(402);
    await fund(bob, 3);
    expect((await joinCommunity({ path: { id }, ...bob.as })).response?.status).toBe(200);
    expect(await statusOf(id, bob)).toBe('active');
    expect(await balanceOf(bob)).toBe(0); // the monthly fee only, no join fee
  });

  it('stop charging when monthlyFee becomes 0 (subscription none)', async () => {
    clock.set(new Date('2026-05-01T00:00:00Z'));
    const { id, alice, bob } = await paidCommunity(1);
    await fund(bob, 5);
    await joinCommunity({ path: { id }, ...bob.as });
    await updateCommunity({ path: { id }, body: { monthlyFee: 0 }, ...alice.as });
    clock.set(new Date('2026-06-01T00:00:00Z'));
    await server.platform.services.communityRenewals.runOnce();
    expect(await statusOf(id, bob)).toBe('none');
    expect(await balanceOf(bob)).toBe(4);
  });

  it('never charge an existing member a raised monthlyFee: their price stays, new members pay the new one; a lower fee applies at once and sticks', async () => {
    clock.set(new Date('2026-07-01T00:00:00Z'));
    const { id, alice, bob } = await paidCommunity(5);
    const carol = await newUser('Carol');
    await fund(bob, 100);
    await fund(carol, 100);
    await joinCommunity({ path: { id }, body: { expectedMonthlyFee: 5 }, ...bob.as });
    await updateCommunity({ path: { id }, body: { monthlyFee: 8 }, ...alice.as });
    await joinCommunity({ path: { id }, body: { expectedMonthlyFee: 8 }, ...carol.as });
    const monthlyFees = async (user: TestUser) =>
      (await listLedgerEntries(user.as))
        .data!.entries.filter((e) => e.kind === 'monthly_fee')
        .map((e) => -e.amount)
        .reverse();

    clock.set(new Date('2026-08-01T00:00:00Z'));
    await server.platform.services.communityRenewals.runOnce();
    expect(await monthlyFees(bob)).toEqual([5, 5]); // joined at 5: the raise to 8 does not reach him
    expect(await monthlyFees(carol)).toEqual([8, 8]);

    await updateCommunity({ path: { id }, body: { monthlyFee: 3 }, ...alice.as });
    clock.set(new Date('2026-09-01T00:00:00Z'));
    await server.platform.services.communityRenewals.runOnce();
    expect(await monthlyFees(bob)).toEqual([5, 5, 3]);
    expect(await monthlyFees(carol)).toEqual([8, 8, 3]);

    // Raised again: both keep the lower price they were last charged.
    await updateCommunity({ path: { id }, body: { monthlyFee: 10 }, ...alice.as });
    clock.set(new Date('2026-10-01T00:00:00Z'));
    await server.platform.services.communityRenewals.runOnce();
    expect(await monthlyFees(bob)).toEqual([5, 5, 3, 3]);
    expect(await monthlyFees(carol)).toEqual([8, 8, 3, 3]);
    expect(await statusOf(id, bob)).toBe('active');
  });
});

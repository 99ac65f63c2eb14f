// Membership: joining pays the fees (to the creator, in one transaction), leaving, members, moderators, and
// the money invariants under concurrency.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCommunity,
  deleteCommunity,
  getCommunity,
  joinCommunity,
  leaveCommunity,
  listCommunityMembers,
  listLedgerEntries,
  updateCommunity,
  updateCommunityMemberRole,
  type CommunityCreateRequest,
} from '@platform/client';
import { expectLedgersConsistent } from '../../helpers/money.js';
import { fieldsOf } from '../../helpers/problems.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { balanceOf, fund } from '../../helpers/wallets.js';

const server = useTestServer();
afterEach(async () => {
  await expectLedgersConsistent(server.platform);
});
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function community(owner: TestUser, body: Partial<CommunityCreateRequest> = {}): Promise<string> {
  const { data, error } = await createCommunity({ body: { name: 'Club', ...body }, ...owner.as });
  if (!data) throw new Error(JSON.stringify(error));
  return data.id;
}

describe('joinCommunity', () => {
  it('joins a free community as a member with no subscription (200)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice);
    const { data, response } = await joinCommunity({ path: { id }, ...bob.as });
    expect(response?.status).toBe(200);
    expect(data).toEqual({ success: true });
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(2);
    const members = (await listCommunityMembers({ path: { id } })).data!.members;
    expect(members.map((m) => [m.userName, m.role, m.subscriptionStatus])).toEqual([
      ['Alice', 'creator', 'none'],
      ['Bob', 'member', 'none'],
    ]);
    expect((await listLedgerEntries(bob.as)).data!.total).toBe(0);
  });

  it('charges joinFee + monthlyFee (two entries) and pays them to the creator (fee_income), in one transaction', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 4.99, monthlyFee: 0.29 });
    await fund(bob, 10);
    expect((await joinCommunity({ path: { id }, ...bob.as })).response?.status).toBe(200);
    expect(await balanceOf(bob)).toBe(4.72);
    expect(await balanceOf(alice)).toBe(5.28);
    const bobs = (await listLedgerEntries(bob.as)).data!.entries;
    expect(bobs.map((e) => [e.kind, e.amount, e.referenceType, e.referenceId])).toEqual([
      ['monthly_fee', -0.29, 'community', id],
      ['join_fee', -4.99, 'community', id],
      ['credit', 10, null, null],
    ]);
    const alices = (await listLedgerEntries(alice.as)).data!.entries;
    expect(alices.map((e) => [e.kind, e.amount])).toEqual([
      ['fee_income', 0.29],
      ['fee_income', 4.99],
    ]);
    const bobMember = (await listCommunityMembers({ path: { id } })).data!.members.find(
      (m) => m.userId === bob.user.id,
    )!;
    expect(bobMember.subscriptionStatus).toBe('active');
  });

  it('refuses an uncovered charge with 402 INSUFFICIENT_BALANCE and writes nothing', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 5, monthlyFee: 1 });
    await fund(bob, 5.99);
    const { response, error } = await joinCommunity({ path: { id }, ...bob.as });
    expect(response?.status).toBe(402);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    expect(await balanceOf(bob)).toBe(5.99);
    expect(await balanceOf(alice)).toBe(0);
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(1);
    expect((await listCommunityMembers({ path: { id } })).data!.members).toHaveLength(1);
  });

  it('answers 409 ALREADY_MEMBER to a member (and the creator) without charging', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 1 });
    await fund(bob, 5);
    await joinCommunity({ path: { id }, ...bob.as });
    const again = await joinCommunity({ path: { id }, ...bob.as });
    expect(again.response?.status).toBe(409);
    expect(again.error).toMatchObject({ code: 'ALREADY_MEMBER' });
    expect((await joinCommunity({ path: { id }, ...alice.as })).error).toMatchObject({ code: 'ALREADY_MEMBER' });
    expect(await balanceOf(bob)).toBe(4);
  });

  it('charges once for 50 concurrent joins by one user funded for one: one 200, 49 x 409', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 3, monthlyFee: 2 });
    await fund(bob, 5);
    const results = await Promise.all(Array.from({ length: 50 }, () => joinCommunity({ path: { id }, ...bob.as })));
    const statuses = results.map((r) => r.response?.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(await balanceOf(bob)).toBe(0);
    expect(await balanceOf(alice)).toBe(5);
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(2);
    expect((await listLedgerEntries(bob.as)).data!.entries.filter((e) => e.kind !== 'credit')).toHaveLength(2);
  });

  it('lets a user who left join again paying joinFee, but not a month already paid', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 1, monthlyFee: 2 });
    await fund(bob, 10);
    await joinCommunity({ path: { id }, ...bob.as });
    await leaveCommunity({ path: { id }, ...bob.as });
    await joinCommunity({ path: { id }, ...bob.as });
    expect(await balanceOf(bob)).toBe(6); // 1 + 2, then 1 again: the month is still paid
    const member = (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === bob.user.id)!;
    expect(member.subscriptionStatus).toBe('active');
  });

  it('charges the prices the caller agreed to, or refuses with 409 PRICE_CHANGED and the current prices, charging nothing', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 5, monthlyFee: 2 });
    await fund(bob, 20);
    await updateCommunity({ path: { id }, body: { joinFee: 6 }, ...alice.as }); // raised after Bob read 5
    const stale = await joinCommunity({ path: { id }, body: { expectedJoinFee: 5, expectedMonthlyFee: 2 }, ...bob.as });
    expect(stale.response?.status).toBe(409);
    expect(stale.error).toMatchObject({ code: 'PRICE_CHANGED', currentPrices: { joinFee: 6, monthlyFee: 2 } });
    const monthly = await joinCommunity({ path: { id }, body: { expectedMonthlyFee: 1.99 }, ...bob.as });
    expect(monthly.error).toMatchObject({ code: 'PRICE_CHANGED', currentPrices: { joinFee: 6, monthlyFee: 2 } });
    expect(await balanceOf(bob)).toBe(20);
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(1);

    expect(
      (await joinCommunity({ path: { id }, body: { expectedJoinFee: 6, expectedMonthlyFee: 2 }, ...bob.as })).response
        ?.status,
    ).toBe(200);
    expect(await balanceOf(bob)).toBe(12);
    const bad = await joinCommunity({
      path: { id },
      body: { expectedJoinFee: -1, extra: 1 } as never,
      ...(await newUser('Carol')).as,
    });
    expect(bad.response?.status).toBe(400);
    expect(fieldsOf(bad.error)).toEqual(expect.arrayContaining(['body:expectedJoinFee']));
    const huge = await joinCommunity({
      path: { id },
      body: { expectedJoinFee: 6, padding: 'x'.repeat(1_100_000) } as never,
      ...(await newUser('Dan')).as,
    });
    expect(huge.response?.status).toBe(413);
  });

  it('refuses unknown (404), archived (409 COMMUNITY_ARCHIVED), anonymous (401) and bad ids (400)', async () => {
    const bob = await newUser('Bob');
    expect((await joinCommunity({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
    expect((await joinCommunity({ path: { id: UNKNOWN } })).response?.status).toBe(401);
    expect((await joinCommunity({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
  });
});

describe('leaveCommunity', () => {
  it('removes the member (200) without refunding; the creator cannot leave; a non-member gets 409', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 2 });
    await fund(bob, 2);
    await joinCommunity({ path: { id }, ...bob.as });
    expect((await leaveCommunity({ path: { id }, ...bob.as })).data).toEqual({ success: true });
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(1);
    expect(await balanceOf(bob)).toBe(0);
    expect((await leaveCommunity({ path: { id }, ...bob.as })).error).toMatchObject({ code: 'NOT_A_MEMBER' });
    const creator = await leaveCommunity({ path: { id }, ...alice.as });
    expect(creator.response?.status).toBe(409);
    expect(creator.error).toMatchObject({ code: 'CREATOR_CANNOT_LEAVE' });
    expect((await leaveCommunity({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
    expect((await leaveCommunity({ path: { id } })).response?.status).toBe(401);
    expect((await leaveCommunity({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
  });
});

describe('listCommunityMembers', () => {
  it('lists members in join order with their profile, for anyone; 404 unknown, 400 bad id', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    const { data, response } = await listCommunityMembers({ path: { id } });
    expect(response?.status).toBe(200);
    expect(data!.members).toEqual([
      expect.objectContaining({ userId: alice.user.id, userName: 'Alice', userImage: null, role: 'creator' }),
    ]);
    expect((await listCommunityMembers({ path: { id: UNKNOWN } })).response?.status).toBe(404);
    expect((await listCommunityMembers({ path: { id: 'x' } })).response?.status).toBe(400);
  });
});

describe('updateCommunityMemberRole', () => {
  it('lets the creator appoint a moderator and remove them (200 with the member, idempotent), never charging', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { joinFee: 1 });
    await fund(bob, 1);
    await joinCommunity({ path: { id }, ...bob.as });
    const appointed = await updateCommunityMemberRole({
      path: { id, user_id: bob.user.id },
      body: { role: 'moderator' },
      ...alice.as,
    });
    expect(appointed.response?.status).toBe(200);
    expect(appointed.data).toMatchObject({ userId: bob.user.id, role: 'moderator', userName: 'Bob', userImage: null });
    expect(
      (
        await updateCommunityMemberRole({
          path: { id, user_id: bob.user.id },
          body: { role: 'moderator' },
          ...alice.as,
        })
      ).data!.role,
    ).toBe('moderator');
    expect((await listCommunityMembers({ path: { id } })).data!.members.map((m) => [m.userName, m.role])).toEqual([
      ['Alice', 'creator'],
      ['Bob', 'moderator'],
    ]);
    expect(
      (await updateCommunityMemberRole({ path: { id, user_id: bob.user.id }, body: { role: 'member' }, ...alice.as }))
        .data,
    ).toEqual(appointed.data && { ...appointed.data, role: 'member' });
    expect(await balanceOf(bob)).toBe(0);
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(2);
  });

  it("refuses everyone but the creator (403 NOT_CREATOR, moderators too), non-members (404), the creator's own role (409)", async () => {
    const alice = await newUser('Alice');
    const [moderator, member, outsider] = [
      await newUser('Moderator'),
      await newUser('Member'),
      await newUser('Outsider'),
    ];
    const id = await community(alice);
    for (const user of [moderator, member]) await joinCommunity({ path: { id }, ...user.as });
    await updateCommunityMemberRole({
      path: { id, user_id: moderator.user.id },
      body: { role: 'moderator' },
      ...alice.as,
    });
    for (const caller of [moderator, member, outsider]) {
      const refused = await updateCommunityMemberRole({
        path: { id, user_id: member.user.id },
        body: { role: 'moderator' },
        ...caller.as,
      });
      expect(refused.response?.status).toBe(403);
      expect(refused.error).toMatchObject({ code: 'NOT_CREATOR' });
    }
    expect(
      (
        await updateCommunityMemberRole({
          path: { id, user_id: alice.user.id },
          body: { role: 'moderator' },
          ...moderator.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_CREATOR' });
    expect(
      (
        await updateCommunityMemberRole({
          path: { id, user_id: outsider.user.id },
          body: { role: 'moderator' },
          ...alice.as,
        })
      ).error,
    ).toMatchObject({ code: 'MEMBER_NOT_FOUND' });
    expect(
      (await updateCommunityMemberRole({ path: { id, user_id: UNKNOWN }, body: { role: 'moderator' }, ...alice.as }))
        .error,
    ).toMatchObject({ code: 'MEMBER_NOT_FOUND' });
    const own = await updateCommunityMemberRole({
      path: { id, user_id: alice.user.id },
      body: { role: 'member' },
      ...alice.as,
    });
    expect(own.response?.status).toBe(409);
    expect(own.error).toMatchObject({ code: 'CREATOR_ROLE_FIXED' });
    expect((await listCommunityMembers({ path: { id } })).data!.members.map((m) => m.role)).toEqual([
      'creator',
      'moderator',
      'member',
    ]);
  });

  it('validates the body (400 naming role, 413) and ids (400), needs a caller (401), and refuses unknown (404) and archived (409) communities', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice);
    await joinCommunity({ path: { id }, ...bob.as });
    const path = { id, user_id: bob.user.id };
    for (const role of ['creator', 'cs_agent', 'admin']) {
      const bad = await updateCommunityMemberRole({ path, body: { role } as never, ...alice.as });
      expect(bad.response?.status).toBe(400);
      expect(fieldsOf(bad.error)).toEqual(['body:role']);
    }
    expect((await updateCommunityMemberRole({ path, body: {} as never, ...alice.as })).response?.status).toBe(400);
    expect(
      (await updateCommunityMemberRole({ path: { id, user_id: 'x' }, body: { role: 'member' }, ...alice.as })).response
        ?.status,
    ).toBe(400);
    expect(
      (await updateCommunityMemberRole({ path, body: { role: 'x'.repeat(1_100_000) } as never, ...alice.as })).response
        ?.status,
    ).toBe(413);
    expect((await updateCommunityMemberRole({ path, body: { role: 'moderator' } })).response?.status).toBe(401);
    expect(
      (
        await updateCommunityMemberRole({
          path: { id: UNKNOWN, user_id: bob.user.id },
          body: { role: 'moderator' },
          ...alice.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_FOUND' });
    await deleteCommunity({ path: { id }, ...alice.as });
    expect((await updateCommunityMemberRole({ path, body: { role: 'moderator' }, ...alice.as })).error).toMatchObject({
      code: 'COMMUNITY_ARCHIVED',
    });
  });
});

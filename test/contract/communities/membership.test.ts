// Membership: joining pays the fees (to the creator, in one transaction), leaving, members, and the money
// invariants under concurrency.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCommunity, getCommunity, joinCommunity, leaveCommunity, listCommunityMembers, listLedgerEntries,
  type CommunityCreateRequest,
} from '@platform/client';
import { expectLedgersConsistent } from '../../helpers/money.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { balanceOf, fund } from '../../helpers/wallets.js';

const server = useTestServer();
afterEach(async () => { await expectLedgersConsistent(server.platform); });
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
    expect(members.map((m) => [m.userName, m.role, m.subscriptionStatus])).toEqual([['Alice', 'creator', 'none'], ['Bob', 'member', 'none']]);
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
      ['monthly_fee', -0.29, 'community', id], ['join_fee', -4.99, 'community', id], ['credit', 10, null, null],
    ]);
    const alices = (await listLedgerEntries(alice.as)).data!.entries;
    expect(alices.map((e) => [e.kind, e.amount])).toEqual([['fee_income', 0.29], ['fee_income', 4.99]]);
    const bobMember = (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === bob.user.id)!;
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
    expect(data!.members).toEqual([expect.objectContaining({ userId: alice.user.id, userName: 'Alice', userImage: null, role: 'creator' })]);
    expect((await listCommunityMembers({ path: { id: UNKNOWN } })).response?.status).toBe(404);
    expect((await listCommunityMembers({ path: { id: 'x' } })).response?.status).toBe(400);
  });
});

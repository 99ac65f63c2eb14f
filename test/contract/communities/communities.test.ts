// Communities: create, browse (type, category, search, paging), details, update, archive, my and joined.
import { describe, expect, it } from 'vitest';
import {
  createAgentListing,
  createCommunity,
  deleteCommunity,
  getCommunity,
  joinCommunity,
  leaveCommunity,
  listCommunities,
  listCommunityAgents,
  listCommunityMembers,
  listJoinedCommunities,
  listMyCommunities,
  updateCommunity,
  type CommunityCreateRequest,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { newUser, type TestUser } from '../../helpers/users.js';

useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function community(owner: TestUser, body: Partial<CommunityCreateRequest> = {}): Promise<string> {
  const { data, error } = await createCommunity({ body: { name: 'Club', ...body }, ...owner.as });
  if (!data) throw new Error(JSON.stringify(error));
  return data.id;
}

describe('createCommunity', () => {
  it('creates a club by default with the creator as its only member (201), and an official one on request', async () => {
    const alice = await newUser('Alice');
    const { data, response } = await createCommunity({ body: { name: ' Book Club ' }, ...alice.as });
    expect(response?.status).toBe(201);
    const club = (await getCommunity({ path: { id: data!.id } })).data!;
    expect(club).toMatchObject({
      creatorId: alice.user.id,
      name: 'Book Club',
      type: 'club',
      joinFee: 0,
      monthlyFee: 0,
      agentCallFee: 0,
      csMode: 'ai_only',
      status: 'active',
      isVerified: false,
      memberCount: 1,
      description: null,
      category: null,
      avatarUrl: null,
      defaultAgentListingId: null,
    });
    expect(club.updatedAt).toBe(club.createdAt); // until the first update
    // The creator is its member from its creation.
    expect((await listCommunityMembers({ path: { id: club.id } })).data!.members).toEqual([
      expect.objectContaining({
        userId: alice.user.id,
        role: 'creator',
        subscriptionStatus: 'none',
        joinedAt: club.createdAt,
      }),
    ]);
    const official = (
      await getCommunity({
        path: {
          id: await community(alice, {
            type: 'official',
            csMode: 'hybrid',
            joinFee: 4.99,
            monthlyFee: 0.29,
            agentCallFee: 1.15,
          }),
        },
      })
    ).data!;
    expect(official).toMatchObject({
      type: 'official',
      csMode: 'hybrid',
      joinFee: 4.99,
      monthlyFee: 0.29,
      agentCallFee: 1.15,
    });
  });

  it("adds a default agent listing the caller can see to its agents; another user's private one is 404", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const listing = (await createAgentListing({ body: { name: 'Helper', model: 'gpt-4o' }, ...alice.as })).data!;
    const id = await community(alice, { defaultAgentListingId: listing.id });
    expect((await listCommunityAgents({ path: { id } })).data!.agents.map((a) => a.listingId)).toEqual([listing.id]);
    const hidden = (await createAgentListing({ body: { name: 'Hidden', model: 'gpt-4o', isPublic: false }, ...bob.as }))
      .data!;
    const refused = await createCommunity({ body: { name: 'X', defaultAgentListingId: hidden.id }, ...alice.as });
    expect(refused.response?.status).toBe(404);
    expect(refused.error).toMatchObject({ code: 'AGENT_LISTING_NOT_FOUND' });
  });

  it.each([
    ['a fee with three decimals', { joinFee: 1.001 }, 'body:joinFee'],
    ['a negative fee', { monthlyFee: -1 }, 'body:monthlyFee'],
    ['a lounge type', { type: 'lounge' }, 'body:type'],
    ['an unknown csMode', { csMode: 'robots' }, 'body:csMode'],
    ['a blank name', { name: '   ' }, 'body:name'],
    ['an avatar that is not a URL', { avatarUrl: 'avatar.png' }, 'body:avatarUrl'],
  ])('rejects %s (400 naming the field) and creates nothing', async (_what, change, field) => {
    const alice = await newUser('Alice');
    const { response, error } = await createCommunity({ body: { name: 'Club', ...change } as never, ...alice.as });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toContain(field);
    expect((await listMyCommunities(alice.as)).data!.communities).toEqual([]);
  });

  it('needs a caller (401) and a body under 1 MB (413)', async () => {
    expect((await createCommunity({ body: { name: 'X' } })).response?.status).toBe(401);
    const alice = await newUser('Alice');
    expect(
      (await createCommunity({ body: { name: 'X', description: 'x'.repeat(1_100_000) }, ...alice.as })).response
        ?.status,
    ).toBe(413);
  });
});

describe('listCommunities', () => {
  it('browses active communities newest first, filtering by type, category (any case) and name, with paging', async () => {
    const alice = await newUser('Alice');
    const tag = `zq${Date.now().toString(36)}`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        await community(alice, {
          name: `${tag} ${i}`,
          type: i % 2 ? 'official' : 'club',
          category: i < 2 ? 'Books' : 'music',
        }),
      );
    await deleteCommunity({ path: { id: ids[3]! }, ...alice.as });

    const all = await listCommunities({ query: { search: tag } });
    expect(all.response?.status).toBe(200);
    expect(all.data).toMatchObject({ total: 3, page: 1, totalPages: 1 });
    expect(all.data!.communities.map((c) => c.name)).toEqual([`${tag} 2`, `${tag} 1`, `${tag} 0`]);
    expect(
      (await listCommunities({ query: { search: tag, type: 'official' } })).data!.communities.map((c) => c.name),
    ).toEqual([`${tag} 1`]);
    expect((await listCommunities({ query: { search: tag, category: 'BOOKS' } })).data!.total).toBe(2);
    const paged = await listCommunities({ query: { search: tag, limit: 2, page: 2 } });
    expect(paged.data).toMatchObject({ total: 3, totalPages: 2 });
    expect(paged.data!.communities.map((c) => c.name)).toEqual([`${tag} 0`]);
    expect(paged.data!.page).toBe(2);
    expect((await listCommunities({ query: { search: `${tag} none` } })).data).toEqual({
      communities: [],
      total: 0,
      page: 1,
      totalPages: 0,
    });
  });

  it('refuses an unknown type, a limit above 50, page 0 and unknown parameters (400)', async () => {
    for (const query of [{ type: 'guild' }, { limit: 51 }, { page: 0 }, { sort: 'name' }]) {
      expect((await listCommunities({ query: query as never })).response?.status, JSON.stringify(query)).toBe(400);
    }
  });
});

describe('getCommunity', () => {
  it('returns archived communities too, and 404 only for unknown ids; 400 for a bad id', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    await deleteCommunity({ path: { id }, ...alice.as });
    expect((await getCommunity({ path: { id } })).data).toMatchObject({ id, status: 'archived' });
    expect((await getCommunity({ path: { id: UNKNOWN } })).response?.status).toBe(404);
    expect((await getCommunity({ path: { id: 'x' } })).response?.status).toBe(400);
  });
});

describe('updateCommunity', () => {
  it('changes the fields sent, clears nullable ones, and switches official <-> club (200)', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice, { description: 'old', category: 'books' });
    const before = (await getCommunity({ path: { id } })).data!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { data, response } = await updateCommunity({
      path: { id },
      body: { name: 'Renamed', description: null, monthlyFee: 2.5, type: 'official' },
      ...alice.as,
    });
    expect(response?.status).toBe(200);
    expect(data).toEqual({ success: true });
    const after = (await getCommunity({ path: { id } })).data!;
    expect(after).toMatchObject({
      name: 'Renamed',
      description: null,
      category: 'books',
      monthlyFee: 2.5,
      type: 'official',
      createdAt: before.createdAt,
    });
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt)); // its fields changed
  });

  it('is for the creator only (403 NOT_CREATOR, 401 anonymous), 404 unknown, 409 once archived, 400 empty', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice);
    await joinCommunity({ path: { id }, ...bob.as });
    const denied = await updateCommunity({ path: { id }, body: { name: 'Mine' }, ...bob.as });
    expect(denied.response?.status).toBe(403);
    expect(denied.error).toMatchObject({ code: 'NOT_CREATOR' });
    expect((await updateCommunity({ path: { id }, body: { name: 'Mine' } })).response?.status).toBe(401);
    expect((await updateCommunity({ path: { id: UNKNOWN }, body: { name: 'x' }, ...alice.as })).response?.status).toBe(
      404,
    );
    expect((await updateCommunity({ path: { id }, body: {}, ...alice.as })).response?.status).toBe(400);
    expect(
      (await updateCommunity({ path: { id }, body: { description: 'x'.repeat(1_100_000) }, ...alice.as })).response
        ?.status,
    ).toBe(413);
    await deleteCommunity({ path: { id }, ...alice.as });
    const archived = await updateCommunity({ path: { id }, body: { name: 'Late' }, ...alice.as });
    expect(archived.response?.status).toBe(409);
    expect(archived.error).toMatchObject({ code: 'COMMUNITY_ARCHIVED' });
    expect((await getCommunity({ path: { id } })).data!.name).toBe('Club');
  });

  it('checks a new default agent listing (404 AGENT_LISTING_NOT_FOUND) and adds it to the agents', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    expect(
      (await updateCommunity({ path: { id }, body: { defaultAgentListingId: UNKNOWN }, ...alice.as })).error,
    ).toMatchObject({ code: 'AGENT_LISTING_NOT_FOUND' });
    const listing = (await createAgentListing({ body: { name: 'Helper', model: 'gpt-4o' }, ...alice.as })).data!;
    await updateCommunity({ path: { id }, body: { defaultAgentListingId: listing.id }, ...alice.as });
    expect((await listCommunityAgents({ path: { id } })).data!.agents.map((a) => a.listingId)).toEqual([listing.id]);
  });
});

describe('deleteCommunity', () => {
  it('archives it (200, idempotent): it leaves the browse list, writes are refused, members can still leave', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice, { name: `zqarch${Date.now().toString(36)}` });
    await joinCommunity({ path: { id }, ...bob.as });
    expect((await deleteCommunity({ path: { id }, ...alice.as })).data).toEqual({ success: true });
    expect((await deleteCommunity({ path: { id }, ...alice.as })).response?.status).toBe(200);
    expect((await listCommunities({ query: { search: 'zqarch' } })).data!.communities.map((c) => c.id)).not.toContain(
      id,
    );
    const carol = await newUser('Carol');
    expect((await joinCommunity({ path: { id }, ...carol.as })).error).toMatchObject({ code: 'COMMUNITY_ARCHIVED' });
    expect((await leaveCommunity({ path: { id }, ...bob.as })).response?.status).toBe(200);
  });

  it('is for the creator only (403), 401 anonymous, 404 unknown, 400 bad id', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await community(alice);
    expect((await deleteCommunity({ path: { id }, ...bob.as })).error).toMatchObject({ code: 'NOT_CREATOR' });
    expect((await deleteCommunity({ path: { id } })).response?.status).toBe(401);
    expect((await deleteCommunity({ path: { id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect((await deleteCommunity({ path: { id: 'x' }, ...alice.as })).response?.status).toBe(400);
    expect((await getCommunity({ path: { id } })).data!.status).toBe('active');
  });
});

describe('listMyCommunities and listJoinedCommunities', () => {
  it('list what the caller created (archived included) and what they joined, newest first', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const first = await community(alice, { name: 'First' });
    const second = await community(alice, { name: 'Second' });
    await deleteCommunity({ path: { id: first }, ...alice.as });
    expect((await listMyCommunities(alice.as)).data!.communities.map((c) => [c.name, c.status])).toEqual([
      ['Second', 'active'],
      ['First', 'archived'],
    ]);
    expect((await listMyCommunities(bob.as)).data!.communities).toEqual([]);
    await joinCommunity({ path: { id: second }, ...bob.as });
    expect((await listJoinedCommunities(bob.as)).data!.communities.map((c) => c.id)).toEqual([second]);
    expect((await listJoinedCommunities(alice.as)).data!.communities.map((c) => c.id)).toEqual([second, first]);
    expect((await listMyCommunities({})).response?.status).toBe(401);
    expect((await listJoinedCommunities({})).response?.status).toBe(401);
    expect((await listJoinedCommunities({ query: { x: 1 } as never, ...bob.as })).response?.status).toBe(400);
    expect((await listMyCommunities({ query: { x: 1 } as never, ...bob.as })).response?.status).toBe(400);
  });
});

// The communities lists that grow with other users' data, a page at a time: a community's members and agents,
// the caller's own and joined communities. Each: a page, the next, past the last, exact totals, the maximum
// page, and a stable order when the timestamps it sorts by tie.
import { describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  joinCommunity,
  listCommunityAgents,
  listCommunityMembers,
  listJoinedCommunities,
  listMyCommunities,
} from '@platform/client';
import { fieldsOf } from '../../helpers/problems.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;
const TIED = '2100-01-01T00:00:00Z';

async function community(owner: TestUser, name = 'Club'): Promise<string> {
  return (await createCommunity({ body: { name }, ...owner.as })).data!.id;
}

/** `n` users by SQL (no credentials: nobody signs in as them). */
async function bulkUsers(n: number): Promise<string[]> {
  const tag = Math.random().toString(36).slice(2);
  const result = await knex().raw(
    `insert into users (name, email, password_hash) select 'Bulk ' || i, 'bulk' || i || '-' || ? || '@example.com', 'x' from generate_series(1, ?) as i returning id`,
    [tag, n],
  );
  return (result.rows as Array<{ id: string }>).map((r) => r.id);
}

/** Members by SQL, all joined at `at`; returns their membership ids. */
async function bulkMembers(communityId: string, userIds: string[], at = TIED): Promise<string[]> {
  const rows = await knex()('community_members')
    .insert(
      userIds.map((userId) => ({ communityId, userId, role: 'member', subscriptionStatus: 'none', joinedAt: at })),
    )
    .returning('id');
  await knex()('communities').where('id', communityId).increment('memberCount', userIds.length);
  return (rows as Array<{ id: string }>).map((r) => r.id);
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const desc = (values: string[]) => [...values].sort().reverse();

describe('listCommunityMembers', () => {
  it('reads a page, the next and past the last, in join order, with exact totals', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    const joiners = await Promise.all([0, 1, 2, 3].map((n) => newUser(`Member ${n}`)));
    for (const user of joiners) await joinCommunity({ path: { id }, ...user.as });
    const page = async (page: number) =>
      (await listCommunityMembers({ path: { id }, query: { page, limit: 2 } })).data!;
    const first = await page(1);
    expect(first).toMatchObject({ total: 5, page: 1, totalPages: 3 });
    expect(first.members.map((m) => m.userId)).toEqual([alice.user.id, joiners[0]!.user.id]);
    expect((await page(2)).members.map((m) => m.userId)).toEqual([joiners[1]!.user.id, joiners[2]!.user.id]);
    expect((await page(3)).members.map((m) => m.userId)).toEqual([joiners[3]!.user.id]);
    expect(await page(4)).toEqual({ members: [], total: 5, page: 4, totalPages: 3 });
  });

  it('orders members who joined at the same instant by id: pages neither repeat nor skip one', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    const tied = await bulkMembers(id, await bulkUsers(7));
    const read: string[] = [];
    for (let page = 1; page <= 3; page++)
      read.push(...ids((await listCommunityMembers({ path: { id }, query: { page, limit: 3 } })).data!.members));
    expect(read.slice(1)).toEqual([...tied].sort()); // after the creator, who joined first
  });

  it('serves 50 at most: a larger limit, a limit of 0 and page 0 are 400 naming them', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    await bulkMembers(id, await bulkUsers(51));
    const max = (await listCommunityMembers({ path: { id }, query: { limit: 50 } })).data!;
    expect(max).toMatchObject({ total: 52, page: 1, totalPages: 2 });
    expect(max.members).toHaveLength(50);
    expect((await listCommunityMembers({ path: { id } })).data!.members).toHaveLength(20); // the default page
    for (const [query, field] of [
      [{ limit: 51 }, 'query:limit'],
      [{ limit: 0 }, 'query:limit'],
      [{ page: 0 }, 'query:page'],
    ] as const) {
      const { response, error } = await listCommunityMembers({ path: { id }, query });
      expect(response?.status).toBe(400);
      expect(fieldsOf(error)).toEqual([field]);
    }
  });
});

describe('listCommunityAgents', () => {
  it('reads a page, the next and past the last, in the order agents were added, with exact totals', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    const listings: string[] = [];
    for (const name of ['One', 'Two', 'Three']) {
      const listing = (await createAgentListing({ body: { name, model: 'gpt-4o' }, ...alice.as })).data!.id;
      await addCommunityAgent({ path: { id }, body: { listingId: listing }, ...alice.as });
      listings.push(listing);
    }
    const page = async (page: number) => (await listCommunityAgents({ path: { id }, query: { page, limit: 2 } })).data!;
    const first = await page(1);
    expect(first).toMatchObject({ total: 3, page: 1, totalPages: 2 });
    expect(first.agents.map((a) => a.listingId)).toEqual(listings.slice(0, 2));
    expect((await page(2)).agents.map((a) => a.listingId)).toEqual(listings.slice(2));
    expect(await page(3)).toEqual({ agents: [], total: 3, page: 3, totalPages: 2 });
    const none = await community(alice, 'No agents');
    expect((await listCommunityAgents({ path: { id: none } })).data).toEqual({
      agents: [],
      total: 0,
      page: 1,
      totalPages: 0,
    });
  });

  it('orders agents added at the same instant by id, and serves 50 at most (51 is a 400)', async () => {
    const alice = await newUser('Alice');
    const id = await community(alice);
    const made = await knex().raw(
      `insert into agent_listings (owner_id, name, model) select ?, 'Bulk ' || i, 'gpt-4o' from generate_series(1, 55) as i returning id`,
      [alice.user.id],
    );
    const rows = await knex()('community_agents')
      .insert((made.rows as Array<{ id: string }>).map((r) => ({ communityId: id, listingId: r.id, addedAt: TIED })))
      .returning('id');
    const read: string[] = [];
    for (let page = 1; page <= 2; page++)
      read.push(...ids((await listCommunityAgents({ path: { id }, query: { page, limit: 50 } })).data!.agents));
    expect(read).toEqual((rows as Array<{ id: string }>).map((r) => r.id).sort());
    const { response, error } = await listCommunityAgents({ path: { id }, query: { limit: 51 } });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toEqual(['query:limit']);
  });
});

describe('listMyCommunities and listJoinedCommunities', () => {
  it("read the caller's communities a page at a time, newest first, with exact totals", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const made: string[] = [];
    for (const name of ['A', 'B', 'C']) made.push(await community(alice, name));
    for (const id of made) await joinCommunity({ path: { id }, ...bob.as });

    const mine = await listMyCommunities({ query: { limit: 2 }, ...alice.as });
    expect(mine.data).toMatchObject({ total: 3, page: 1, totalPages: 2 });
    expect(ids(mine.data!.communities)).toEqual([made[2], made[1]]);
    expect(ids((await listMyCommunities({ query: { limit: 2, page: 2 }, ...alice.as })).data!.communities)).toEqual([
      made[0],
    ]);
    expect((await listMyCommunities({ query: { page: 3, limit: 2 }, ...alice.as })).data).toEqual({
      communities: [],
      total: 3,
      page: 3,
      totalPages: 2,
    });

    const joined = await listJoinedCommunities({ query: { limit: 2 }, ...bob.as });
    expect(joined.data).toMatchObject({ total: 3, page: 1, totalPages: 2 });
    expect(ids(joined.data!.communities)).toEqual([made[2], made[1]]);
    expect(ids((await listJoinedCommunities({ query: { limit: 2, page: 2 }, ...bob.as })).data!.communities)).toEqual([
      made[0],
    ]);
    expect((await listMyCommunities(bob.as)).data).toEqual({ communities: [], total: 0, page: 1, totalPages: 0 });
  });

  it('order communities created, or joined, at the same instant by id, descending', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const made: string[] = [];
    for (let n = 0; n < 5; n++) made.push(await community(alice, `Tied ${n}`));
    await knex()('communities').whereIn('id', made).update({ createdAt: TIED });
    for (const id of made) await joinCommunity({ path: { id }, ...bob.as });
    await knex()('community_members').where('userId', bob.user.id).update({ joinedAt: TIED });
    const all = async (call: typeof listMyCommunities, user: TestUser) => {
      const read: string[] = [];
      for (let page = 1; page <= 3; page++)
        read.push(...ids((await call({ query: { page, limit: 2 }, ...user.as })).data!.communities));
      return read;
    };
    expect(await all(listMyCommunities, alice)).toEqual(desc(made));
    expect(await all(listJoinedCommunities, bob)).toEqual(desc(made));
  });

  it('serve 50 at most: a larger limit, a limit of 0 and page 0 are 400 naming them', async () => {
    const alice = await newUser('Alice');
    for (const call of [listMyCommunities, listJoinedCommunities]) {
      for (const [query, field] of [
        [{ limit: 51 }, 'query:limit'],
        [{ limit: 0 }, 'query:limit'],
        [{ page: 0 }, 'query:page'],
      ] as const) {
        const { response, error } = await call({ query, ...alice.as });
        expect(response?.status).toBe(400);
        expect(fieldsOf(error)).toEqual([field]);
      }
    }
  });
});

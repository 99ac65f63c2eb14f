// Agent listings: create, list (visibility, mine, search, paging), get, update and delete, with who may do what,
// and a deleted listing taken out of the communities that used it.
import { describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  deleteAgentListing,
  getAgentListing,
  getCommunity,
  listAgentListings,
  listCommunityAgents,
  updateAgentListing,
  type AgentListing,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { fieldsOf } from '../../helpers/problems.js';
import { newUser, type TestUser } from '../../helpers/users.js';

useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

async function listing(owner: TestUser, body: Partial<AgentListing> = {}): Promise<AgentListing> {
  const { data, error } = await createAgentListing({
    body: { name: 'Assistant', model: 'gpt-4o', instructions: 'Be brief.', ...body } as never,
    ...owner.as,
  });
  if (!data) throw new Error(JSON.stringify(error));
  return data;
}

describe('createAgentListing', () => {
  it('creates a listing owned by the caller, with defaults, and shows its instructions to the owner (201)', async () => {
    const alice = await newUser('Alice');
    const { data, response } = await createAgentListing({
      body: { name: ' Trivia Host ', model: 'gpt-4o-mini' },
      ...alice.as,
    });
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      ownerId: alice.user.id,
      name: 'Trivia Host',
      model: 'gpt-4o-mini',
      description: null,
      avatarUrl: null,
      instructions: null,
      isPublic: true,
    });
    expect(data!.updatedAt).toBe(data!.createdAt); // until the first update
    expect((await listing(alice, { instructions: 'Secret prompt' })).instructions).toBe('Secret prompt');
  });

  it.each([
    ['a missing model', { name: 'A' }, 'body:model'],
    ['a model with spaces', { name: 'A', model: 'gpt 4' }, 'body:model'],
    ['a blank name', { name: '  ', model: 'm' }, 'body:name'],
    [
      'an avatar that is not http(s)',
      { name: 'A', model: 'm', avatarUrl: 'ftp://x.example.net/a.png' },
      'body:avatarUrl',
    ],
    ['over-long instructions', { name: 'A', model: 'm', instructions: 'x'.repeat(20001) }, 'body:instructions'],
    ['an unknown field', { name: 'A', model: 'm', voice: 'x' }, 'body:voice'],
  ])('rejects %s (400 naming the field) and creates nothing', async (_what, body, field) => {
    const alice = await newUser('Alice');
    const { error, response } = await createAgentListing({ body: body as never, ...alice.as });
    expect(response?.status).toBe(400);
    expect(fieldsOf(error)).toContain(field);
    expect((await listAgentListings({ query: { mine: true }, ...alice.as })).data).toEqual({
      listings: [],
      total: 0,
      page: 1,
      totalPages: 0,
    });
  });

  it('needs a caller (401) and a body under 1 MB (413)', async () => {
    expect((await createAgentListing({ body: { name: 'A', model: 'm' } })).response?.status).toBe(401);
    const alice = await newUser('Alice');
    expect(
      (await createAgentListing({ body: { name: 'A', model: 'm', instructions: 'x'.repeat(1_100_000) }, ...alice.as }))
        .response?.status,
    ).toBe(413);
  });
});

describe('listAgentListings and getAgentListing', () => {
  it('shows public listings to everyone and private ones to their owner only, instructions to the owner only', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const tag = `zq${Date.now().toString(36)}`;
    const pub = await listing(alice, { name: `${tag} Public`, instructions: 'public prompt' });
    const priv = await listing(alice, { name: `${tag} Private`, isPublic: false });

    const asBob = await listAgentListings({ query: { search: tag }, ...bob.as });
    expect(asBob.response?.status).toBe(200);
    expect(asBob.data!.listings.map((l) => l.id)).toEqual([pub.id]);
    expect(asBob.data!.listings[0]!.instructions).toBeNull();
    const asAlice = await listAgentListings({ query: { search: tag.toUpperCase() }, ...alice.as });
    expect(asAlice.data!.listings.map((l) => l.id)).toEqual([priv.id, pub.id]);

    expect((await getAgentListing({ path: { id: pub.id }, ...bob.as })).data).toMatchObject({
      id: pub.id,
      instructions: null,
    });
    expect((await getAgentListing({ path: { id: pub.id }, ...alice.as })).data).toMatchObject({
      instructions: 'public prompt',
    });
    const hidden = await getAgentListing({ path: { id: priv.id }, ...bob.as });
    expect(hidden.response?.status).toBe(404);
    expect(hidden.error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await getAgentListing({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
  });

  it("narrows to the caller's own with mine=true, and pages newest first with an exact total", async () => {
    const carol = await newUser('Carol');
    for (let i = 0; i < 5; i++) await listing(carol, { name: `Carol ${i}`, isPublic: i % 2 === 0 });
    const page1 = await listAgentListings({ query: { mine: true, limit: 2 }, ...carol.as });
    expect(page1.data).toMatchObject({ total: 5, page: 1, totalPages: 3 });
    expect(page1.data!.listings.map((l) => l.name)).toEqual(['Carol 4', 'Carol 3']);
    const past = await listAgentListings({ query: { mine: true, limit: 2, page: 9 }, ...carol.as });
    expect(past.data).toMatchObject({ listings: [], total: 5, page: 9, totalPages: 3 });
  });

  it('refuses a limit above 50, unknown parameters and bad ids (400), and anonymous callers (401)', async () => {
    const alice = await newUser('Alice');
    expect((await listAgentListings({ query: { limit: 51 }, ...alice.as })).response?.status).toBe(400);
    expect((await listAgentListings({ query: { owner: 'x' } as never, ...alice.as })).response?.status).toBe(400);
    expect((await getAgentListing({ path: { id: 'nope' }, ...alice.as })).response?.status).toBe(400);
    expect((await listAgentListings({})).response?.status).toBe(401);
    expect((await getAgentListing({ path: { id: UNKNOWN } })).response?.status).toBe(401);
  });
});

describe('updateAgentListing', () => {
  it('changes only the fields sent, can clear nullable ones, and sets updatedAt (200)', async () => {
    const alice = await newUser('Alice');
    const made = await listing(alice, { description: 'old', avatarUrl: 'https://img.example.net/a.png' });
    const { data, response } = await updateAgentListing({
      path: { id: made.id },
      body: { description: 'new', avatarUrl: null },
      ...alice.as,
    });
    expect(response?.status).toBe(200);
    expect(data).toMatchObject({
      name: made.name,
      model: made.model,
      description: 'new',
      avatarUrl: null,
      instructions: 'Be brief.',
    });
    expect(Date.parse(data!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(made.updatedAt));
    expect(data!.createdAt).toBe(made.createdAt);
  });

  it("lets only the owner change it: 403 for another user's public listing, 404 for a private one or an unknown id", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const pub = await listing(alice);
    const priv = await listing(alice, { isPublic: false });
    const forbidden = await updateAgentListing({ path: { id: pub.id }, body: { name: 'Mine now' }, ...bob.as });
    expect(forbidden.response?.status).toBe(403);
    expect(forbidden.error).toMatchObject({ code: 'FORBIDDEN' });
    expect((await updateAgentListing({ path: { id: priv.id }, body: { name: 'x' }, ...bob.as })).response?.status).toBe(
      404,
    );
    expect((await updateAgentListing({ path: { id: UNKNOWN }, body: { name: 'x' }, ...bob.as })).response?.status).toBe(
      404,
    );
    expect((await updateAgentListing({ path: { id: pub.id }, body: { name: 'x' } })).response?.status).toBe(401);
    expect((await getAgentListing({ path: { id: pub.id }, ...alice.as })).data!.name).toBe('Assistant');
  });

  it('validates its input: at least one field, no null name (400), under 1 MB (413)', async () => {
    const alice = await newUser('Alice');
    const made = await listing(alice);
    expect((await updateAgentListing({ path: { id: made.id }, body: {}, ...alice.as })).response?.status).toBe(400);
    const nullName = await updateAgentListing({ path: { id: made.id }, body: { name: null } as never, ...alice.as });
    expect(fieldsOf(nullName.error)).toContain('body:name');
    expect(
      (await updateAgentListing({ path: { id: made.id }, body: { instructions: 'x'.repeat(1_100_000) }, ...alice.as }))
        .response?.status,
    ).toBe(413);
  });
});

describe('deleteAgentListing', () => {
  it('deletes it (204) and takes it out of every community that used it; a second delete is 404', async () => {
    const alice = await newUser('Alice');
    const made = await listing(alice);
    const community = (await createCommunity({ body: { name: 'Club', defaultAgentListingId: made.id }, ...alice.as }))
      .data!;
    const other = (await createCommunity({ body: { name: 'Other' }, ...alice.as })).data!;
    await addCommunityAgent({ path: { id: other.id }, body: { listingId: made.id }, ...alice.as });

    expect((await deleteAgentListing({ path: { id: made.id }, ...alice.as })).response?.status).toBe(204);
    expect((await getAgentListing({ path: { id: made.id }, ...alice.as })).response?.status).toBe(404);
    expect((await getCommunity({ path: { id: community.id } })).data!.defaultAgentListingId).toBeNull();
    expect((await listCommunityAgents({ path: { id: community.id } })).data!.agents).toEqual([]);
    expect((await listCommunityAgents({ path: { id: other.id } })).data!.agents).toEqual([]);
    expect((await deleteAgentListing({ path: { id: made.id }, ...alice.as })).response?.status).toBe(404);
  });

  it("lets only the owner delete: 403 for another user's public listing, 404 private/unknown, 401 anonymous, 400 bad id", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const pub = await listing(alice);
    const priv = await listing(alice, { isPublic: false });
    expect((await deleteAgentListing({ path: { id: pub.id }, ...bob.as })).response?.status).toBe(403);
    expect((await deleteAgentListing({ path: { id: priv.id }, ...bob.as })).response?.status).toBe(404);
    expect((await deleteAgentListing({ path: { id: pub.id } })).response?.status).toBe(401);
    expect((await deleteAgentListing({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
    expect((await getAgentListing({ path: { id: pub.id }, ...bob.as })).response?.status).toBe(200);
  });
});

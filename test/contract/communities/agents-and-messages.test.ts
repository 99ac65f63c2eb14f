// A community's agents (add, list, remove, with their system notices) and its message history (send, cursor
// paging, who may read and write).
import { describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  deleteCommunity,
  getCommunity,
  joinCommunity,
  listCommunityAgents,
  listCommunityMessages,
  removeCommunityAgent,
  sendCommunityMessage,
  updateAgentListing,
  updateCommunity,
} from '@platform/client';
import { communityMessagePage } from '../../../src/communities/index.js';
import { audioUrl } from '../../../src/media/index.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

const listingOf = async (owner: TestUser, body: { isPublic?: boolean; name?: string } = {}) =>
  (
    await createAgentListing({
      body: { name: body.name ?? 'Helper', model: 'gpt-4o', isPublic: body.isPublic ?? true },
      ...owner.as,
    })
  ).data!;
const communityOf = async (owner: TestUser) =>
  (await createCommunity({ body: { name: 'Club' }, ...owner.as })).data!.id;

describe('community agents', () => {
  it('adds a visible listing (201) with a system notice, lists it in order, and removes it (200)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await communityOf(alice);
    const mine = await listingOf(alice, { name: 'Mine' });
    const bobs = await listingOf(bob, { name: 'Bobs' });
    expect(
      (await addCommunityAgent({ path: { id }, body: { listingId: mine.id }, ...alice.as })).response?.status,
    ).toBe(201);
    expect((await addCommunityAgent({ path: { id }, body: { listingId: bobs.id }, ...alice.as })).data).toEqual({
      success: true,
    });
    const agents = (await listCommunityAgents({ path: { id } })).data!.agents;
    expect(agents.map((a) => [a.agentName, a.model])).toEqual([
      ['Mine', 'gpt-4o'],
      ['Bobs', 'gpt-4o'],
    ]);
    expect(agents[0]).toMatchObject({ listingId: mine.id, avatarUrl: null, description: null });
    expect(agents[0]!.id).not.toBe(mine.id); // the link's id, not the listing's
    expect(Date.parse(agents[0]!.addedAt)).toBeLessThanOrEqual(Date.parse(agents[1]!.addedAt));
    // Name, avatar, description and model are read from the listing: they follow its changes.
    await updateAgentListing({
      path: { id: bobs.id },
      body: {
        name: 'Bobs v2',
        model: 'gpt-4o-mini',
        description: 'Better',
        avatarUrl: 'https://img.example.net/b.png',
      },
      ...bob.as,
    });
    expect((await listCommunityAgents({ path: { id } })).data!.agents[1]).toMatchObject({
      listingId: bobs.id,
      agentName: 'Bobs v2',
      model: 'gpt-4o-mini',
      description: 'Better',
      avatarUrl: 'https://img.example.net/b.png',
      addedAt: agents[1]!.addedAt,
    });
    await updateAgentListing({ path: { id: bobs.id }, body: { name: 'Bobs' }, ...bob.as });

    await updateCommunity({ path: { id }, body: { defaultAgentListingId: mine.id }, ...alice.as });
    expect((await removeCommunityAgent({ path: { id, listing_id: mine.id }, ...alice.as })).data).toEqual({
      success: true,
    });
    expect((await getCommunity({ path: { id } })).data!.defaultAgentListingId).toBeNull();
    expect((await listCommunityAgents({ path: { id } })).data!.agents.map((a) => a.agentName)).toEqual(['Bobs']);
    const notices = (await listCommunityMessages({ path: { id }, ...alice.as })).data!.messages.filter(
      (m) => m.messageType === 'system',
    );
    expect(notices.map((m) => m.content)).toEqual([
      "Mine was removed from the community's agents.",
      'Bobs joined the community as an agent.',
      'Mine joined the community as an agent.',
    ]);
    expect(notices.every((m) => m.userId === null && m.agentListingId === null)).toBe(true);
    for (const m of notices)
      expect(m).toMatchObject({ userName: null, userImage: null, agentName: null, ttsAudioUrl: null });
  });

  it('refuses duplicates (409), hidden or unknown listings (404), non-creators (403), archived (409)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await communityOf(alice);
    const mine = await listingOf(alice);
    const hidden = await listingOf(bob, { isPublic: false });
    await addCommunityAgent({ path: { id }, body: { listingId: mine.id }, ...alice.as });
    expect((await addCommunityAgent({ path: { id }, body: { listingId: mine.id }, ...alice.as })).error).toMatchObject({
      code: 'AGENT_ALREADY_ADDED',
    });
    expect(
      (await addCommunityAgent({ path: { id }, body: { listingId: hidden.id }, ...alice.as })).error,
    ).toMatchObject({ code: 'AGENT_LISTING_NOT_FOUND' });
    expect((await addCommunityAgent({ path: { id }, body: { listingId: mine.id }, ...bob.as })).error).toMatchObject({
      code: 'NOT_CREATOR',
    });
    expect((await addCommunityAgent({ path: { id }, body: { listingId: mine.id } })).response?.status).toBe(401);
    expect((await addCommunityAgent({ path: { id }, body: { listingId: 'x' }, ...alice.as })).response?.status).toBe(
      400,
    );
    expect(
      (await addCommunityAgent({ path: { id }, body: { listingId: 'x'.repeat(1_100_000) }, ...alice.as })).response
        ?.status,
    ).toBe(413);
    expect((await removeCommunityAgent({ path: { id, listing_id: hidden.id }, ...alice.as })).error).toMatchObject({
      code: 'AGENT_NOT_IN_COMMUNITY',
    });
    expect((await removeCommunityAgent({ path: { id, listing_id: mine.id }, ...bob.as })).response?.status).toBe(403);
    expect((await removeCommunityAgent({ path: { id, listing_id: mine.id } })).response?.status).toBe(401);
    expect((await removeCommunityAgent({ path: { id, listing_id: 'x' }, ...alice.as })).response?.status).toBe(400);
    await deleteCommunity({ path: { id }, ...alice.as });
    expect(
      (await addCommunityAgent({ path: { id }, body: { listingId: hidden.id }, ...alice.as })).error,
    ).toMatchObject({ code: 'COMMUNITY_ARCHIVED' });
    expect((await removeCommunityAgent({ path: { id, listing_id: mine.id }, ...alice.as })).error).toMatchObject({
      code: 'COMMUNITY_ARCHIVED',
    });
    expect((await listCommunityAgents({ path: { id } })).data!.agents).toHaveLength(1);
    expect((await listCommunityAgents({ path: { id: UNKNOWN } })).response?.status).toBe(404);
    expect((await listCommunityAgents({ path: { id: 'x' } })).response?.status).toBe(400);
    expect(
      (await addCommunityAgent({ path: { id: UNKNOWN }, body: { listingId: mine.id }, ...alice.as })).response?.status,
    ).toBe(404);
    expect(
      (await removeCommunityAgent({ path: { id: UNKNOWN, listing_id: mine.id }, ...alice.as })).response?.status,
    ).toBe(404);
  });
});

describe('community messages', () => {
  it("posts a member's text message (201) and pages the history newest first by a createdAt cursor", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await communityOf(alice);
    await joinCommunity({ path: { id }, ...bob.as });
    const sent = await sendCommunityMessage({ path: { id }, body: { content: 'Hello!' }, ...bob.as });
    expect(sent.response?.status).toBe(201);
    expect(sent.data).toMatchObject({
      userId: bob.user.id,
      content: 'Hello!',
      messageType: 'text',
      userName: 'Bob',
      userImage: null,
      agentListingId: null,
      agentName: null,
      ttsAudioUrl: null,
    });
    // Many messages at once: createdAt stays strictly increasing, so the cursor never skips or repeats one.
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        sendCommunityMessage({ path: { id }, body: { content: `m${i}` }, ...alice.as }),
      ),
    );
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = (
        await listCommunityMessages({ path: { id }, query: { limit: 7, ...(before ? { before } : {}) }, ...bob.as })
      ).data!;
      seen.push(...page.messages.map((m) => m.id));
      const times = page.messages.map((m) => Date.parse(m.createdAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      if (!page.hasMore) break;
      before = page.messages.at(-1)!.createdAt;
    }
    expect(seen).toHaveLength(31);
    expect(new Set(seen).size).toBe(31);
  });

  it('answers the JSON of the knex read: authors, agents, system notices, audio URLs, hasMore, with and without `before`', async () => {
    const alice = await newUser('Alice "A" \u2028 Smith');
    const bob = await newUser('Bob');
    const id = await communityOf(alice);
    await joinCommunity({ path: { id }, ...bob.as });
    const listing = await listingOf(alice, { name: 'Helper "h"' });
    await addCommunityAgent({ path: { id }, body: { listingId: listing.id }, ...alice.as }); // a system notice
    for (const [who, content] of [
      [alice, 'plain'],
      [bob, 'with "quotes", \\ and \u2028'],
      [alice, 'ünïcödé 🙂'],
      [bob, 'last'],
    ] as const)
      await sendCommunityMessage({ path: { id }, body: { content }, ...who.as });
    const knex = server.platform.database.knex;
    // An agent's reply with audio, as a spoken agent reply stores it; an author whose profile has an image.
    await knex('community_messages').where({ communityId: id, content: 'plain' }).update({
      userId: null,
      agentListingId: listing.id,
      agentName: 'Helper "h"',
      messageType: 'agent',
      ttsAudioId: '11111111-2222-4333-8444-555555555555',
    });
    await knex('users').where('id', bob.user.id).update({ image: 'https://example.com/bob.png' });
    const read = async (query: { limit: number; before?: string }) => {
      const rendered = (await listCommunityMessages({ path: { id }, query, ...bob.as })).data!;
      const expected = await communityMessagePage(knex, id, query, audioUrl(server.baseUrl));
      expect(rendered, JSON.stringify(query)).toEqual(expected);
      return rendered;
    };
    for (const limit of [1, 2, 5, 6, 50]) {
      let page = await read({ limit });
      while (page.hasMore) page = await read({ limit, before: page.messages.at(-1)!.createdAt });
    }
    const all = await read({ limit: 50 });
    expect(all.messages.find((m) => m.messageType === 'agent')!.ttsAudioUrl).toBe(
      `${server.baseUrl}/api/audio/11111111-2222-4333-8444-555555555555`,
    );
    expect(all.messages.map((m) => m.messageType)).toContain('system');
    expect(await read({ limit: 2, before: '1970-01-01T00:00:00Z' })).toEqual({ messages: [], hasMore: false });
  });

  it('is for members: 403 NOT_A_MEMBER to read or write; 409 archived for writes, reads still allowed', async () => {
    const alice = await newUser('Alice');
    const stranger = await newUser('Stranger');
    const id = await communityOf(alice);
    expect((await listCommunityMessages({ path: { id }, ...stranger.as })).error).toMatchObject({
      code: 'NOT_A_MEMBER',
    });
    expect((await sendCommunityMessage({ path: { id }, body: { content: 'hi' }, ...stranger.as })).error).toMatchObject(
      { code: 'NOT_A_MEMBER' },
    );
    expect((await listCommunityMessages({ path: { id } })).response?.status).toBe(401);
    expect((await sendCommunityMessage({ path: { id }, body: { content: 'hi' } })).response?.status).toBe(401);
    await deleteCommunity({ path: { id }, ...alice.as });
    expect((await sendCommunityMessage({ path: { id }, body: { content: 'late' }, ...alice.as })).error).toMatchObject({
      code: 'COMMUNITY_ARCHIVED',
    });
    expect((await listCommunityMessages({ path: { id }, ...alice.as })).response?.status).toBe(200);
    expect((await listCommunityMessages({ path: { id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect(
      (await sendCommunityMessage({ path: { id: UNKNOWN }, body: { content: 'x' }, ...alice.as })).response?.status,
    ).toBe(404);
  });

  it('validates content (1-5000, not blank) and the cursor (400), and bodies over 1 MB (413)', async () => {
    const alice = await newUser('Alice');
    const id = await communityOf(alice);
    for (const content of ['', '   ', 'x'.repeat(5001)]) {
      expect((await sendCommunityMessage({ path: { id }, body: { content }, ...alice.as })).response?.status).toBe(400);
    }
    expect(
      (await listCommunityMessages({ path: { id }, query: { before: 'yesterday' }, ...alice.as })).response?.status,
    ).toBe(400);
    expect((await listCommunityMessages({ path: { id }, query: { limit: 101 }, ...alice.as })).response?.status).toBe(
      400,
    );
    expect(
      (await sendCommunityMessage({ path: { id }, body: { content: 'x'.repeat(1_100_000) }, ...alice.as })).response
        ?.status,
    ).toBe(413);
    expect((await listCommunityMessages({ path: { id }, ...alice.as })).data!.messages).toEqual([]);
  });
});

// Conversations: the message history (cursor), who may write when, and chatting with the AI over SSE, which
// answers only while it is in control (a human who takes over mid-reply wins).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptTransfer,
  chatInConversation,
  createAgentListing,
  createCommunity,
  createPlatformClient,
  deleteCommunity,
  getCsStatus,
  inviteCsAgent,
  listConversationMessages,
  updateCommunity,
  requestHumanTransfer,
  resolveConversation,
  sendConversationMessage,
  startOfficialChat,
  type CommunityCsMode,
} from '@platform/client';
import { conversationMessagePage } from '../../../src/conversations/index.js';
import { audioUrl } from '../../../src/media/index.js';
import { FAKE_REPLY, startFakeOpenAi, type FakeOpenAi } from '../../helpers/fake-openai.js';
import { recordExercised, startTestServer, useTestServer, watchClient, type TestServer } from '../../helpers/server.js';
import { readEvents } from '../../helpers/sse.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const local = useTestServer();
let fake: FakeOpenAi;
let remote: TestServer & { stop(): Promise<void> };
beforeAll(async () => {
  fake = await startFakeOpenAi({ slowMs: 600 });
  remote = await startTestServer({ agent: { baseUrl: fake.baseUrl, timeoutMs: 3000 } });
});
afterAll(async () => {
  await remote?.stop();
  await fake?.close();
});
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

interface Setup {
  id: string;
  conversationId: string;
  creator: TestUser;
  agent: TestUser;
  customer: TestUser;
  listingId: string;
}

async function setup(
  options: {
    csMode?: CommunityCsMode;
    model?: string;
    withAgent?: boolean;
    client?: ReturnType<typeof createPlatformClient>;
  } = {},
): Promise<Setup> {
  const c = options.client ? { client: options.client } : {};
  const creator = await newUser('Creator', c);
  const agent = await newUser('Agent', c);
  const customer = await newUser('Customer', c);
  const listing = (
    await createAgentListing({
      body: { name: 'Support bot', model: options.model ?? 'fake-ok', instructions: 'You are Support bot.' },
      ...creator.as,
    })
  ).data!;
  const id = (
    await createCommunity({
      body: {
        name: 'Acme',
        type: 'official',
        csMode: options.csMode ?? 'hybrid',
        ...(options.withAgent === false ? {} : { defaultAgentListingId: listing.id }),
      },
      ...creator.as,
    })
  ).data!.id;
  await inviteCsAgent({ path: { id }, body: { userId: agent.user.id }, ...creator.as });
  const conversationId = (await startOfficialChat({ path: { id }, ...customer.as })).data!.conversationId;
  return { id, conversationId, creator, agent, customer, listingId: listing.id };
}

async function chat(
  baseUrl: string,
  s: Setup,
  user: TestUser | undefined,
  content = 'Where is my order?',
): Promise<Response> {
  const response = await fetch(`${baseUrl}/api/conversations/${s.conversationId}/agent-chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(user ? { Authorization: `Bearer ${user.token}` } : {}) },
    body: JSON.stringify({ content }),
  });
  recordExercised('chatInConversation', response.status);
  return response;
}

describe('listConversationMessages and sendConversationMessage', () => {
  it('let the customer write at any time and page the history newest first', async () => {
    const s = await setup();
    for (let i = 0; i < 5; i++) {
      const sent = await sendConversationMessage({
        path: { conversation_id: s.conversationId },
        body: { content: `m${i}` },
        ...s.customer.as,
      });
      expect(sent.response?.status).toBe(201);
      expect(sent.data).toMatchObject({
        senderKind: 'customer',
        senderId: s.customer.user.id,
        content: `m${i}`,
        agentListingId: null,
      });
    }
    const first = (
      await listConversationMessages({
        path: { conversation_id: s.conversationId },
        query: { limit: 3 },
        ...s.agent.as,
      })
    ).data!;
    expect(first.messages.map((m) => m.content)).toEqual(['m4', 'm3', 'm2']);
    expect(first.hasMore).toBe(true);
    const rest = (
      await listConversationMessages({
        path: { conversation_id: s.conversationId },
        query: { limit: 3, before: first.messages.at(-1)!.createdAt },
        ...s.customer.as,
      })
    ).data!;
    expect(rest).toMatchObject({ hasMore: false });
    expect(rest.messages.map((m) => m.content)).toEqual(['m1', 'm0']);
  });

  it('answer the JSON of the knex read: every field, audio URLs, nulls, hasMore, with and without `before`', async () => {
    const s = await setup();
    for (const content of ['plain', 'with "quotes", \\ and \u2028', 'ünïcödé 🙂', 'last'])
      await sendConversationMessage({
        path: { conversation_id: s.conversationId },
        body: { content },
        ...s.customer.as,
      });
    const knex = local.platform.database.knex;
    // A reply with audio, as a spoken agent reply stores it.
    await knex('conversation_messages')
      .where({ conversationId: s.conversationId, content: 'plain' })
      .update({ ttsAudioId: '11111111-2222-4333-8444-555555555555', senderKind: 'ai', senderId: null });
    const read = async (query: { limit: number; before?: string }) => {
      const rendered = (
        await listConversationMessages({ path: { conversation_id: s.conversationId }, query, ...s.agent.as })
      ).data!;
      const expected = await conversationMessagePage(knex, s.conversationId, query, audioUrl(local.baseUrl));
      expect(rendered, JSON.stringify(query)).toEqual(expected);
      return rendered;
    };
    for (const limit of [1, 3, 4, 5, 50]) {
      let page = await read({ limit });
      while (page.hasMore) page = await read({ limit, before: page.messages.at(-1)!.createdAt });
    }
    const all = await read({ limit: 50 });
    expect(all.messages.find((m) => m.content === 'plain')!.ttsAudioUrl).toBe(
      `${local.baseUrl}/api/audio/11111111-2222-4333-8444-555555555555`,
    );
    expect(await read({ limit: 2, before: '1970-01-01T00:00:00Z' })).toEqual({ messages: [], hasMore: false });
  });

  it('hide the conversation from anyone else (404), and refuse staff while the AI is in control (409)', async () => {
    const s = await setup();
    const stranger = await newUser('Stranger');
    expect(
      (await listConversationMessages({ path: { conversation_id: s.conversationId }, ...stranger.as })).response
        ?.status,
    ).toBe(404);
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: 'hi' },
          ...stranger.as,
        })
      ).response?.status,
    ).toBe(404);
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: 'hi' },
          ...s.agent.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_IN_HUMAN_CONTROL' });
    expect(
      (await listConversationMessages({ path: { conversation_id: UNKNOWN }, ...s.customer.as })).response?.status,
    ).toBe(404);
    expect((await listConversationMessages({ path: { conversation_id: s.conversationId } })).response?.status).toBe(
      401,
    );
    expect(
      (await sendConversationMessage({ path: { conversation_id: s.conversationId }, body: { content: 'hi' } })).response
        ?.status,
    ).toBe(401);
    expect(
      (
        await listConversationMessages({
          path: { conversation_id: s.conversationId },
          query: { limit: 101 },
          ...s.customer.as,
        })
      ).response?.status,
    ).toBe(400);
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: ' ' },
          ...s.customer.as,
        })
      ).response?.status,
    ).toBe(400);
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: 'x'.repeat(1_100_000) },
          ...s.customer.as,
        })
      ).response?.status,
    ).toBe(413);
    await deleteCommunity({ path: { id: s.id }, ...s.creator.as });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: 'late' },
          ...s.customer.as,
        })
      ).error,
    ).toMatchObject({ code: 'COMMUNITY_ARCHIVED' });
    expect(
      (await listConversationMessages({ path: { conversation_id: s.conversationId }, ...s.customer.as })).response
        ?.status,
    ).toBe(200);
  });
});

describe('chatInConversation', () => {
  it("streams meta, chunks and done (local agent), storing the customer's message and the AI's reply", async () => {
    const s = await setup();
    const events = await readEvents(await chat(local.baseUrl, s, s.customer));
    expect(events[0]).toMatchObject({ event: 'meta', data: { conversationId: s.conversationId } });
    expect(events.at(-1)!.event).toBe('done');
    const history = (await listConversationMessages({ path: { conversation_id: s.conversationId }, ...s.customer.as }))
      .data!.messages;
    expect(history.map((m) => m.senderKind)).toEqual(['ai', 'customer']);
    expect(history[0]!.content).toBe('You are Support bot. You said: "Where is my order?".');
    // meta names the customer's stored message, done the stored reply; the reply is the AI's (its listing, no sender).
    expect(events[0]!.data.userMessageId).toBe(history[1]!.id);
    expect(events.at(-1)!.data.agentMessageId).toBe(history[0]!.id);
    expect(history[0]).toMatchObject({
      senderId: null,
      agentListingId: s.listingId,
      ttsAudioUrl: null,
      conversationId: s.conversationId,
    });
    expect(history[1]).toMatchObject({ senderId: s.customer.user.id, agentListingId: null, ttsAudioUrl: null });
    const { stream } = await chatInConversation({
      path: { conversation_id: s.conversationId },
      body: { content: 'Thanks' },
      ...s.customer.as,
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('done');
  });

  it('answers in the documented order of checks: 403, 409 AI_UNAVAILABLE, 409 HUMAN_IN_CONTROL; reopens resolved', async () => {
    const s = await setup();
    expect(await (await chat(local.baseUrl, s, s.agent)).json()).toMatchObject({ status: 403, code: 'NOT_CUSTOMER' });
    const stranger = await newUser('Stranger');
    expect((await chat(local.baseUrl, s, stranger)).status).toBe(404);
    expect((await chat(local.baseUrl, s, undefined)).status).toBe(401);
    expect((await chat(local.baseUrl, s, s.customer, '')).status).toBe(400);
    expect((await chat(local.baseUrl, s, s.customer, 'x'.repeat(1_100_000))).status).toBe(413);
    await requestHumanTransfer({ path: { id: s.id }, ...s.customer.as });
    expect(await (await chat(local.baseUrl, s, s.customer)).json()).toMatchObject({
      status: 409,
      code: 'HUMAN_IN_CONTROL',
    });
    await resolveConversation({ path: { id: s.id }, body: { conversationId: s.conversationId }, ...s.customer.as });
    expect((await readEvents(await chat(local.baseUrl, s, s.customer))).at(-1)!.event).toBe('done');
    expect(
      (await getCsStatus({ path: { id: s.id }, query: { conversationId: s.conversationId }, ...s.customer.as })).data,
    ).toEqual({ status: 'ai_active' });

    const humanOnly = await setup({ csMode: 'human_only' });
    expect(await (await chat(local.baseUrl, humanOnly, humanOnly.customer)).json()).toMatchObject({
      status: 409,
      code: 'AI_UNAVAILABLE',
    });
    const noAgent = await setup({ withAgent: false });
    expect(await (await chat(local.baseUrl, noAgent, noAgent.customer)).json()).toMatchObject({
      status: 409,
      code: 'AI_UNAVAILABLE',
    });
    const nothingStored = (
      await listConversationMessages({ path: { conversation_id: humanOnly.conversationId }, ...humanOnly.customer.as })
    ).data!.messages;
    expect(nothingStored).toEqual([]);
    await deleteCommunity({ path: { id: s.id }, ...s.creator.as });
    expect(await (await chat(local.baseUrl, s, s.customer)).json()).toMatchObject({
      status: 409,
      code: 'COMMUNITY_ARCHIVED',
    });
  });

  it('ends a streaming reply with HUMAN_IN_CONTROL and stores no AI reply when a human takes over meanwhile', async () => {
    const c = createPlatformClient({ baseUrl: remote.baseUrl });
    watchClient(c);
    const s = await setup({ model: 'fake-slow', client: c });
    const response = await chat(remote.baseUrl, s, s.customer);
    const reading = readEvents(response);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the fake answers after 600 ms
    await requestHumanTransfer({ path: { id: s.id }, ...s.customer.as });
    await acceptTransfer({ path: { id: s.id }, body: { conversationId: s.conversationId }, ...s.agent.as });
    const events = await reading;
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'HUMAN_IN_CONTROL' } });
    const history = (await listConversationMessages({ path: { conversation_id: s.conversationId }, ...s.customer.as }))
      .data!.messages;
    expect(history.filter((m) => m.senderKind === 'ai')).toEqual([]);
    expect(history.filter((m) => m.senderKind === 'customer')).toHaveLength(1);
  });

  it('makes the conversations of a community that became a club read-only (409 NOT_OFFICIAL)', async () => {
    const s = await setup();
    await sendConversationMessage({
      path: { conversation_id: s.conversationId },
      body: { content: 'before' },
      ...s.customer.as,
    });
    await updateCommunity({ path: { id: s.id }, body: { type: 'club' }, ...s.creator.as });
    expect(await (await chat(local.baseUrl, s, s.customer)).json()).toMatchObject({
      status: 409,
      code: 'NOT_OFFICIAL',
    });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: s.conversationId },
          body: { content: 'after' },
          ...s.customer.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_OFFICIAL' });
    expect(
      (
        await listConversationMessages({ path: { conversation_id: s.conversationId }, ...s.customer.as })
      ).data!.messages.map((m) => m.content),
    ).toEqual(['before']);
  });

  it("streams the OpenAI-compatible provider's reply", async () => {
    const c = createPlatformClient({ baseUrl: remote.baseUrl });
    watchClient(c);
    const s = await setup({ client: c });
    const events = await readEvents(await chat(remote.baseUrl, s, s.customer));
    expect(
      events
        .filter((e) => e.event === 'chunk')
        .map((e) => e.data.content)
        .join(''),
    ).toBe(FAKE_REPLY);
    expect(fake.requests.at(-1)!.messages[0]).toEqual({ role: 'system', content: 'You are Support bot.' });
  });
});

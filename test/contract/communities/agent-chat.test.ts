// Chatting with a community agent over SSE: everything refused before the first byte is a JSON problem; then
// meta, chunks, done (and audio_ready when a voice is configured) or error; the fee, its refund and the
// creator's income; the OpenAI-compatible provider against a local fake server; disconnects; concurrency.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  addCommunityAgent,
  chatWithCommunityAgent,
  createAgentListing,
  createCommunity,
  createPlatformClient,
  deleteCommunity,
  getAudio,
  joinCommunity,
  listCommunityMessages,
  listLedgerEntries,
  sendCommunityMessage,
  StreamError,
  type AgentChatEvent,
} from '@platform/client';
import { AgentCalls } from '../../../src/communities/agent-calls.js';
import { systemClock } from '../../../src/platform/clock.js';
import { FAKE_AUDIO, FAKE_REPLY, startFakeOpenAi, type FakeOpenAi } from '../../helpers/fake-openai.js';
import { expectLedgersConsistent, expectMoneyConserved } from '../../helpers/money.js';
import { recordExercised, startTestServer, useTestServer, watchClient, type TestServer } from '../../helpers/server.js';
import { readEvents, StreamReader } from '../../helpers/sse.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { balanceOf, fund } from '../../helpers/wallets.js';

const local = useTestServer();
let fake: FakeOpenAi;
let remote: TestServer & { stop(): Promise<void> };
beforeAll(async () => {
  fake = await startFakeOpenAi({ slowMs: 100, paceMs: 150 });
  remote = await startTestServer({
    agent: { baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 400 },
    speech: { baseUrl: fake.baseUrl, model: 'tts-1', voice: 'alloy' },
  });
});
afterAll(async () => {
  await remote?.stop();
  await fake?.close();
});
afterEach(async () => {
  await expectLedgersConsistent(local.platform);
  if (remote) await expectLedgersConsistent(remote.platform);
  await expectMoneyConserved(local.platform.database.knex, { platformFeeShare: 0 });
  if (remote) await expectMoneyConserved(remote.platform.database.knex, { platformFeeShare: 0, inProgress: true });
});

interface Setup {
  id: string;
  listingId: string;
  creator: TestUser;
  member: TestUser;
}

/** A community with one agent (whose `model` picks the fake server's behaviour) and a funded member. */
async function setup(
  options: { fee?: number; model?: string; funds?: number; client?: ReturnType<typeof createPlatformClient> } = {},
): Promise<Setup> {
  const c = options.client ? { client: options.client } : {};
  const creator = await newUser('Creator', c);
  const member = await newUser('Member', c);
  const listing = (
    await createAgentListing({
      ...c,
      body: {
        name: 'Assistant',
        model: options.model ?? 'fake-ok',
        instructions: 'You are Assistant. Answer briefly.',
      },
      ...creator.as,
    })
  ).data!;
  const id = (await createCommunity({ ...c, body: { name: 'Club', agentCallFee: options.fee ?? 0 }, ...creator.as }))
    .data!.id;
  await addCommunityAgent({ ...c, path: { id }, body: { listingId: listing.id }, ...creator.as });
  await joinCommunity({ ...c, path: { id }, ...member.as });
  if (options.funds) await fund(member, options.funds);
  return { id, listingId: listing.id, creator, member };
}

/** A raw POST, to read the stream exactly as it is on the wire (recorded for the coverage table). */
async function post(
  baseUrl: string,
  s: Setup,
  user: TestUser | undefined,
  body: object = { content: 'What is new?', listingId: s.listingId },
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(user ? { Authorization: `Bearer ${user.token}` } : {}),
  };
  const response = await fetch(`${baseUrl}/api/communities/${s.id}/agent-chat`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal,
  });
  recordExercised('chatWithCommunityAgent', response.status);
  return response;
}

describe('chatWithCommunityAgent (local provider)', () => {
  it('streams meta, chunks and done as SSE, stores both messages, and charges the fee to the creator', async () => {
    const s = await setup({ fee: 0.5, funds: 2 });
    const response = await post(local.baseUrl, s, s.member);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEvents(response);
    expect(events[0]).toMatchObject({ event: 'meta', data: { type: 'meta', communityId: s.id } });
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { type: 'done' } });
    const chunks = events.filter((e) => e.event === 'chunk');
    expect(chunks.length).toBeGreaterThan(3);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    const reply = chunks.map((e) => e.data.content).join('');
    expect(reply).toBe('You are Assistant. You said: "What is new?".');

    const history = (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages;
    expect(history[0]).toMatchObject({
      id: events.at(-1)!.data.agentMessageId,
      messageType: 'agent',
      content: reply,
      agentName: 'Assistant',
      agentListingId: s.listingId,
      userId: null,
    });
    expect(history[1]).toMatchObject({
      id: events[0]!.data.userMessageId,
      messageType: 'text',
      content: 'What is new?',
      userId: s.member.user.id,
    });
    expect(await balanceOf(s.member)).toBe(1.5);
    expect(await balanceOf(s.creator)).toBe(0.5);
    const [charge] = (await listLedgerEntries(s.member.as)).data!.entries;
    expect(charge).toMatchObject({ kind: 'agent_call_fee', amount: -0.5, referenceType: 'agent_call' });
  });

  it('works through the generated client as typed events', async () => {
    const s = await setup();
    const { stream } = await chatWithCommunityAgent({
      path: { id: s.id },
      body: { content: 'Hi', listingId: s.listingId },
      ...s.member.as,
    });
    const types: AgentChatEvent['type'][] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe('meta');
    expect(types.at(-1)).toBe('done');
  });

  it('never charges the creator (the fee would be paid to themselves)', async () => {
    const s = await setup({ fee: 1 });
    const events = await readEvents(await post(local.baseUrl, s, s.creator));
    expect(events.at(-1)!.event).toBe('done');
    expect((await listLedgerEntries(s.creator.as)).data!.total).toBe(0);
  });

  it('refuses before the first byte, as JSON problems: 402, 403, 404, 409, 400, 401, 413', async () => {
    const s = await setup({ fee: 1 });
    const poor = await post(local.baseUrl, s, s.member);
    expect(poor.status).toBe(402);
    expect(poor.headers.get('content-type')).toBe('application/problem+json');
    expect(await poor.json()).toMatchObject({ code: 'INSUFFICIENT_BALANCE' });
    const stranger = await newUser('Stranger');
    expect(await (await post(local.baseUrl, s, stranger)).json()).toMatchObject({ status: 403, code: 'NOT_A_MEMBER' });
    const other = (await createAgentListing({ body: { name: 'Other', model: 'm' }, ...s.creator.as })).data!;
    expect(await (await post(local.baseUrl, s, s.member, { content: 'hi', listingId: other.id })).json()).toMatchObject(
      { status: 404, code: 'AGENT_NOT_IN_COMMUNITY' },
    );
    expect((await post(local.baseUrl, s, s.member, { content: '', listingId: s.listingId })).status).toBe(400);
    expect(
      (await post(local.baseUrl, s, s.member, { content: 'x'.repeat(1_100_000), listingId: s.listingId })).status,
    ).toBe(413);
    const refused = await (async () => {
      const { stream } = await chatWithCommunityAgent({
        path: { id: s.id },
        body: { content: 'hi', listingId: s.listingId },
      });
      for await (const _ of stream) {
        /* refused */
      }
    })().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StreamError);
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await post(local.baseUrl, s, undefined)).status).toBe(401);
    await deleteCommunity({ path: { id: s.id }, ...s.creator.as });
    expect(await (await post(local.baseUrl, s, s.member)).json()).toMatchObject({
      status: 409,
      code: 'COMMUNITY_ARCHIVED',
    });
    expect(
      (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages.filter(
        (m) => m.messageType !== 'system',
      ),
    ).toEqual([]);
    expect(await balanceOf(s.member)).toBe(0);
    const unknown = await fetch(`${local.baseUrl}/api/communities/00000000-0000-4000-8000-000000000000/agent-chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${s.member.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'hi', listingId: s.listingId }),
    });
    expect(unknown.status).toBe(404);
  });

  it('streams exactly 10 of 50 concurrent calls funded for 10; the other 40 get 402 and the balance ends at 0', async () => {
    const s = await setup({ fee: 1, funds: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(local.baseUrl, s, s.member, { content: 'go', listingId: s.listingId })),
    );
    const ok = responses.filter((r) => r.status === 200);
    expect(ok).toHaveLength(10);
    expect(responses.filter((r) => r.status === 402)).toHaveLength(40);
    for (const r of responses.filter((r) => r.status !== 200)) await r.body?.cancel();
    const endings = await Promise.all(ok.map(async (r) => (await readEvents(r)).at(-1)!.event));
    expect(endings).toEqual(Array(10).fill('done'));
    expect(await balanceOf(s.member)).toBe(0);
    expect(await balanceOf(s.creator)).toBe(10);
  });
});

describe('chatWithCommunityAgent (OpenAI-compatible provider, local fake server)', () => {
  const client = () => {
    const c = createPlatformClient({ baseUrl: remote.baseUrl });
    watchClient(c);
    return c;
  };

  it("streams the provider's reply with the listing's model and instructions, then done and audio_ready", async () => {
    const c = client();
    const s = await setup({ fee: 0.25, funds: 1, client: c });
    const events = await readEvents(await post(remote.baseUrl, s, s.member));
    expect(events.map((e) => e.event)).toEqual([
      'meta',
      ...Array(events.length - 3).fill('chunk'),
      'done',
      'audio_ready',
    ]);
    expect(
      events
        .filter((e) => e.event === 'chunk')
        .map((e) => e.data.content)
        .join(''),
    ).toBe(FAKE_REPLY);
    const sent = fake.requests.at(-1)!;
    expect(sent).toMatchObject({ model: 'fake-ok', stream: true });
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'You are Assistant. Answer briefly.' });
    expect(sent.messages.at(-1)).toEqual({ role: 'user', content: 'What is new?' });
    expect(fake.speechRequests.at(-1)).toMatchObject({ input: FAKE_REPLY, voice: 'alloy', model: 'tts-1' });

    const audioUrl: string = events.at(-1)!.data.audioUrl;
    expect(audioUrl).toMatch(new RegExp(`^${remote.baseUrl}/api/audio/[0-9a-f-]{36}$`));
    const audio = await fetch(audioUrl);
    expect(audio.status).toBe(200);
    expect(audio.headers.get('content-type')).toBe('audio/wav');
    expect(audio.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.from(await audio.arrayBuffer()).equals(FAKE_AUDIO)).toBe(true);
    const [reply] = (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages;
    expect(reply).toMatchObject({ messageType: 'agent', content: FAKE_REPLY, ttsAudioUrl: audioUrl });
    const id = audioUrl.split('/').at(-1)!;
    expect((await getAudio({ client: c, path: { id } })).response?.status).toBe(200);
    expect((await getAudio({ client: c, path: { id: '00000000-0000-4000-8000-000000000000' } })).response?.status).toBe(
      404,
    );
    expect((await getAudio({ client: c, path: { id: 'x' } })).response?.status).toBe(400);
  });

  it("sends the recent history, oldest first: members by name, its own replies as the assistant, the caller's message last and bare", async () => {
    const c = client();
    const s = await setup({ client: c });
    await sendCommunityMessage({ client: c, path: { id: s.id }, body: { content: 'Hello all' }, ...s.creator.as });
    await readEvents(await post(remote.baseUrl, s, s.member, { content: 'First question', listingId: s.listingId }));
    await readEvents(await post(remote.baseUrl, s, s.member, { content: 'Second question', listingId: s.listingId }));
    expect(fake.requests.at(-1)!.messages).toEqual([
      { role: 'system', content: 'You are Assistant. Answer briefly.' },
      { role: 'user', content: 'Creator: Hello all' },
      { role: 'user', content: 'Member: First question' },
      { role: 'assistant', content: FAKE_REPLY },
      { role: 'user', content: 'Second question' },
    ]);
  });

  it.each([
    ['fake-429', 'AGENT_ERROR'],
    ['fake-500', 'AGENT_ERROR'],
    ['fake-silent', 'AGENT_TIMEOUT'],
    ['fake-empty', 'AGENT_EMPTY_REPLY'],
    ['fake-blank', 'AGENT_EMPTY_REPLY'],
  ])('ends with error before any chunk (%s -> %s), refunds the fee and stores no reply', async (model, code) => {
    const c = client();
    const s = await setup({ fee: 0.5, funds: 0.5, model, client: c });
    const events = await readEvents(await post(remote.baseUrl, s, s.member));
    expect(events.map((e) => e.event)).toEqual(['meta', 'error']);
    expect(events[1]!.data).toMatchObject({ type: 'error', code });
    expect(await balanceOf(s.member)).toBe(0.5);
    const ledger = (await listLedgerEntries(s.member.as)).data!.entries;
    expect(ledger.map((e) => e.kind)).toEqual(['refund', 'agent_call_fee', 'credit']);
    expect(await balanceOf(s.creator)).toBe(0);
    const history = (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages;
    expect(history.filter((m) => m.messageType === 'agent')).toEqual([]);
    expect(history.filter((m) => m.messageType === 'text')).toHaveLength(1); // the caller's message stays
  });

  it('ends with error after chunks when the stream breaks: the whole fee refunded, the creator unpaid, no stored reply', async () => {
    const c = client();
    const s = await setup({ fee: 0.5, funds: 0.5, model: 'fake-midstream-failure', client: c });
    const events = await readEvents(await post(remote.baseUrl, s, s.member));
    // The fake cuts the connection after its second chunk; what reached us before the cut is streamed.
    expect(events[0]!.event).toBe('meta');
    expect(events.slice(1, -1).map((e) => e.event)).toEqual(Array(events.length - 2).fill('chunk'));
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'AGENT_ERROR' } });
    expect(await balanceOf(s.member)).toBe(0.5);
    expect(await balanceOf(s.creator)).toBe(0);
    const [refund, charge] = (await listLedgerEntries(s.member.as)).data!.entries;
    expect(refund).toMatchObject({
      kind: 'refund',
      amount: 0.5,
      referenceType: 'agent_call',
      referenceId: charge!.referenceId,
    });
    expect(charge).toMatchObject({ kind: 'agent_call_fee', amount: -0.5, referenceType: 'agent_call' });
    expect(
      (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages.filter(
        (m) => m.messageType === 'agent',
      ),
    ).toEqual([]);
  });

  it('finishes and stores the reply when the client disconnects, charges once, and closes the provider request', async () => {
    const c = client();
    const s = await setup({ fee: 0.5, funds: 1, model: 'fake-slow', client: c });
    const controller = new AbortController();
    const response = await post(remote.baseUrl, s, s.member, undefined, controller.signal);
    const [meta] = await readEvents(response, { stopAfter: 1 });
    expect(meta!.event).toBe('meta');
    controller.abort();
    await expect
      .poll(
        async () =>
          (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages.filter(
            (m) => m.messageType === 'agent',
          ).length,
        { timeout: 5000 },
      )
      .toBe(1);
    await expect.poll(() => fake.open(), { timeout: 5000 }).toBe(0);
    expect(await balanceOf(s.member)).toBe(0.5);
  });
});

describe('chatWithCommunityAgent: every call settled with its stored reply, or refunded', () => {
  // Heartbeats every 100 ms, so a call ended elsewhere is noticed while its reply still streams.
  let short: TestServer & { stop(): Promise<void> };
  beforeAll(async () => {
    short = await startTestServer({
      agent: { baseUrl: fake.baseUrl, timeoutMs: 2000, callHeartbeatMs: 100, callStaleAfterMs: 1000 },
    });
  });
  afterAll(async () => {
    await short?.stop();
  });
  afterEach(async () => {
    await expectLedgersConsistent(short.platform);
    await expectMoneyConserved(short.platform.database.knex, { platformFeeShare: 0 });
  });
  const on = (server: TestServer) => {
    const c = createPlatformClient({ baseUrl: server.baseUrl });
    watchClient(c);
    return c;
  };
  const callOf = async (server: TestServer, communityId: string) =>
    (
      await server.platform.database
        .knex('agent_calls')
        .where('communityId', communityId)
        .select('id', 'status', 'failure', 'replyMessageId')
    )[0] as { id: string; status: string; failure: string | null; replyMessageId: string | null };

  it('pays the creator in the transaction that stores the reply: nothing while the reply streams', async () => {
    const s = await setup({ fee: 0.5, funds: 1, model: 'fake-paced', client: on(short) });
    const reader = new StreamReader(await post(short.baseUrl, s, s.member));
    await reader.waitFor(2); // meta and a first chunk
    expect(await callOf(short, s.id)).toMatchObject({ status: 'in_progress', replyMessageId: null });
    expect(await balanceOf(s.member)).toBe(0.5);
    expect(await balanceOf(s.creator)).toBe(0);
    expect(await reader.ended).toBe('end');
    const done = reader.events.find((e) => e.event === 'done')!;
    expect(await callOf(short, s.id)).toMatchObject({
      status: 'settled',
      failure: null,
      replyMessageId: done.data.agentMessageId,
    });
    expect(await balanceOf(s.creator)).toBe(0.5);
    const callId = (await callOf(short, s.id)).id;
    const [income] = (await listLedgerEntries(s.creator.as)).data!.entries;
    expect(income).toMatchObject({ kind: 'fee_income', amount: 0.5, referenceType: 'agent_call', referenceId: callId });
    const [charge] = (await listLedgerEntries(s.member.as)).data!.entries;
    expect(charge).toMatchObject({
      kind: 'agent_call_fee',
      amount: -0.5,
      referenceType: 'agent_call',
      referenceId: callId,
    });
  });

  it('refuses a call whose expectedFee is not the current agentCallFee: 409 PRICE_CHANGED with the current fee, nothing charged or stored', async () => {
    const s = await setup({ fee: 0.5, funds: 1 });
    const stale = await post(local.baseUrl, s, s.member, { content: 'hi', listingId: s.listingId, expectedFee: 0.25 });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ code: 'PRICE_CHANGED', currentPrices: { agentCallFee: 0.5 } });
    expect(await balanceOf(s.member)).toBe(1);
    expect(
      (await listCommunityMessages({ path: { id: s.id }, ...s.member.as })).data!.messages.filter(
        (m) => m.messageType !== 'system',
      ),
    ).toEqual([]);
    const agreed = await readEvents(
      await post(local.baseUrl, s, s.member, { content: 'hi', listingId: s.listingId, expectedFee: 0.5 }),
    );
    expect(agreed.at(-1)!.event).toBe('done');
    expect(await balanceOf(s.member)).toBe(0.5);
  });

  it("refunds a call whose heartbeat stopped (any instance's reaper), and its reply is then dropped: error INTERRUPTED", async () => {
    const s = await setup({ fee: 0.5, funds: 1, model: 'fake-paced', client: on(short) });
    const reader = new StreamReader(await post(short.baseUrl, s, s.member));
    await reader.waitFor(2); // meta and a first chunk
    const { id } = await callOf(short, s.id);
    // Another instance on the same database finds the call's heartbeat older than the bound, as if its server died.
    await short.platform.database
      .knex('agent_calls')
      .where('id', id)
      .update({ heartbeatAt: new Date(Date.now() - 3600_000) });
    const other = new AgentCalls(short.platform.database.knex, systemClock, short.platform.services.wallet, {
      heartbeatMs: 100,
      staleAfterMs: 1000,
      platformFeeShare: 0,
    });
    expect(await other.reap()).toBe(1);
    expect(await reader.ended).toBe('end');
    expect(reader.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'INTERRUPTED' } });
    expect(reader.events.filter((e) => e.event === 'chunk').length).toBeLessThan(FAKE_REPLY.split(' ').length);
    expect(await callOf(short, s.id)).toMatchObject({
      status: 'refunded',
      failure: 'INTERRUPTED',
      replyMessageId: null,
    });
    expect(await balanceOf(s.member)).toBe(1);
    expect(await balanceOf(s.creator)).toBe(0);
    await expect.poll(() => fake.open(), { timeout: 5000 }).toBe(0); // the provider request was stopped
    expect(
      (await listCommunityMessages({ path: { id: s.id }, ...s.member.as, client: on(short) })).data!.messages.filter(
        (m) => m.messageType === 'agent',
      ),
    ).toEqual([]);
  });

  it('reaps every orphaned call in one look, however many (a hundred at a time)', async () => {
    const s = await setup({ client: on(short) });
    const { knex } = short.platform.database;
    const stale = new Date(Date.now() - 3600_000);
    await knex('agent_calls').insert(
      Array.from({ length: 250 }, () => ({
        id: randomUUID(),
        communityId: s.id,
        userId: s.member.user.id,
        listingId: s.listingId,
        feeMinor: 0,
        status: 'in_progress',
        heartbeatAt: stale,
        createdAt: stale,
      })),
    );
    const other = new AgentCalls(knex, systemClock, short.platform.services.wallet, {
      heartbeatMs: 100,
      staleAfterMs: 1000,
      platformFeeShare: 0,
    });
    expect(await other.reap()).toBe(250);
    expect(
      await knex('agent_calls')
        .where({ communityId: s.id, status: 'refunded', failure: 'INTERRUPTED' })
        .count({ n: '*' })
        .then((r) => Number(r[0]!.n)),
    ).toBe(250);
  });

  it('refunds the calls still running when the server stops: error INTERRUPTED, nothing stored', async () => {
    const stopping = await startTestServer({ agent: { baseUrl: fake.baseUrl, timeoutMs: 2000 } });
    try {
      const s = await setup({ fee: 0.5, funds: 1, model: 'fake-paced', client: on(stopping) });
      const reader = new StreamReader(await post(stopping.baseUrl, s, s.member));
      await reader.waitFor(2); // meta and a first chunk
      await stopping.platform.services.communityAgentCalls.stop();
      expect(await reader.ended).toBe('end');
      expect(reader.events.at(-1)).toMatchObject({ event: 'error', data: { code: 'INTERRUPTED' } });
      expect(await callOf(stopping, s.id)).toMatchObject({ status: 'refunded', failure: 'INTERRUPTED' });
      expect(await balanceOf(s.member)).toBe(1);
      await expectMoneyConserved(stopping.platform.database.knex, { platformFeeShare: 0 });
    } finally {
      await stopping.stop();
    }
  });
});

// Lounges: creation, details, start-chat (auto-join, free), the creator's dashboard, subscriptions charged
// monthly from the wallet, voice limited to the free minutes for non-subscribers, and voice cloning.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  cancelLoungeSubscription,
  createAgentListing,
  createLounge,
  createPlatformClient,
  deleteCommunity,
  getLounge,
  getLoungeDashboard,
  joinCommunity,
  leaveCommunity,
  listCommunityMembers,
  listConversationMessages,
  listLedgerEntries,
  startLoungeChat,
  subscribeToLounge,
  createCommunity,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { startFakeOpenAi, wav, type FakeOpenAi } from '../../helpers/fake-openai.js';
import { startHttpsListener, testCertificates, type HttpsListener } from '../../helpers/https-listener.js';
import { expectLedgersConsistent } from '../../helpers/money.js';
import { recordExercised, startTestServer, useTestServer, watchClient, type TestServer } from '../../helpers/server.js';
import { readEvents } from '../../helpers/sse.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { balanceOf, fund } from '../../helpers/wallets.js';

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const clock = new ManualClock(new Date('2026-06-10T08:00:00Z'));
const local = useTestServer({ sessionTtlDays: 3650 }, { clock });
afterEach(async () => {
  await expectLedgersConsistent(local.platform);
});

async function lounge(creator: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const listing = (await createAgentListing({ body: { name: 'Voice', model: 'fake-ok' }, ...creator.as })).data!;
  const { data, error } = await createLounge({
    body: { name: 'My Lounge', defaultAgentListingId: listing.id, ...body },
    ...creator.as,
  });
  if (!data) throw new Error(JSON.stringify(error));
  return data.id;
}

describe('createLounge and getLounge', () => {
  it("creates a lounge with the reference's defaults (201) and shows it with its creator (200)", async () => {
    const alice = await newUser('Alice');
    const { data, response } = await createLounge({ body: { name: 'Chill' }, ...alice.as });
    expect(response?.status).toBe(201);
    expect((await getLounge({ path: { id: data!.id } })).data).toMatchObject({
      creatorId: alice.user.id,
      name: 'Chill',
      memberCount: 1,
      freeMinutesPerDay: 5,
      subscriptionPriceCents: 0,
      voiceModelStatus: 'none',
      voiceModelId: null,
      voiceModelError: null,
      voiceSamplesUrl: null,
      creatorName: 'Alice',
      description: null,
      avatarUrl: null,
      creatorImage: null,
      defaultAgentListingId: null,
    });
  });

  it('validates (400: http samples URL, minutes over 1440, unknown field), 404 for a hidden listing, 401, 413', async () => {
    const alice = await newUser('Alice');
    for (const body of [
      { name: 'L', voiceSamplesUrl: 'http://x.example.net/a.wav' },
      { name: 'L', freeMinutesPerDay: 1441 },
      { name: 'L', fees: 1 },
    ]) {
      expect((await createLounge({ body: body as never, ...alice.as })).response?.status, JSON.stringify(body)).toBe(
        400,
      );
    }
    const bob = await newUser('Bob');
    const hidden = (await createAgentListing({ body: { name: 'H', model: 'm', isPublic: false }, ...bob.as })).data!;
    expect(
      (await createLounge({ body: { name: 'L', defaultAgentListingId: hidden.id }, ...alice.as })).error,
    ).toMatchObject({ code: 'AGENT_LISTING_NOT_FOUND' });
    expect((await createLounge({ body: { name: 'L' } })).response?.status).toBe(401);
    expect(
      (await createLounge({ body: { name: 'L', description: 'x'.repeat(1_100_000) }, ...alice.as })).response?.status,
    ).toBe(413);
  });

  it('answers 404 for unknown ids, clubs and archived lounges; 400 for bad ids', async () => {
    const alice = await newUser('Alice');
    const club = (await createCommunity({ body: { name: 'Club' }, ...alice.as })).data!.id;
    const id = await lounge(alice);
    for (const target of [UNKNOWN, club])
      expect((await getLounge({ path: { id: target } })).response?.status).toBe(404);
    await deleteCommunity({ path: { id }, ...alice.as });
    expect((await getLounge({ path: { id } })).response?.status).toBe(404);
    expect((await getLounge({ path: { id: 'x' } })).response?.status).toBe(400);
  });
});

describe('startLoungeChat and the dashboard', () => {
  it('joins the caller for free and opens one conversation (201, then 200); concurrent first calls make one', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await lounge(alice);
    const results = await Promise.all(Array.from({ length: 5 }, () => startLoungeChat({ path: { id }, ...bob.as })));
    expect(results.filter((r) => r.response?.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.response?.status === 200).every((r) => r.data!.existing)).toBe(true);
    expect(new Set(results.map((r) => r.data!.conversationId)).size).toBe(1);
    expect((await getLounge({ path: { id } })).data!.memberCount).toBe(2);
    expect((await listLedgerEntries(bob.as)).data!.total).toBe(0);
    const dashboard = await getLoungeDashboard({ path: { id }, ...alice.as });
    expect(dashboard.data).toMatchObject({
      memberCount: 2,
      activeSubscriptions: 0,
      totalConversations: 1,
      todayUsageMinutes: 0,
      voiceModelStatus: 'none',
    });
    expect((await getLoungeDashboard({ path: { id }, ...bob.as })).error).toMatchObject({ code: 'NOT_LOUNGE_CREATOR' });
    expect((await getLoungeDashboard({ path: { id } })).response?.status).toBe(401);
    expect((await getLoungeDashboard({ path: { id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect((await getLoungeDashboard({ path: { id: 'x' }, ...alice.as })).response?.status).toBe(400);
    expect((await startLoungeChat({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
    expect((await startLoungeChat({ path: { id } })).response?.status).toBe(401);
    expect((await startLoungeChat({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
  });
});

describe('lounge subscriptions', () => {
  it('charge the price at 1 credit per 100 cents to the creator, renew monthly, and stop after a cancel', async () => {
    clock.set(new Date('2026-06-10T08:00:00Z'));
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await lounge(alice, { subscriptionPriceCents: 999 });
    await fund(bob, 20);
    const sub = await subscribeToLounge({ path: { id }, ...bob.as });
    expect(sub.response?.status).toBe(200);
    expect(sub.data).toMatchObject({
      status: 'active',
      priceCents: 999,
      renews: true,
      paidUntil: '2026-07-10T08:00:00.000Z',
    });
    expect(await balanceOf(bob)).toBe(10.01);
    expect(await balanceOf(alice)).toBe(9.99);
    expect((await subscribeToLounge({ path: { id }, ...bob.as })).error).toMatchObject({ code: 'ALREADY_SUBSCRIBED' });
    expect((await getLoungeDashboard({ path: { id }, ...alice.as })).data!.activeSubscriptions).toBe(1);

    clock.set(new Date('2026-07-10T08:00:00Z'));
    await local.platform.services.communityRenewals.runOnce();
    expect(await balanceOf(bob)).toBe(0.02);
    const cancelled = await cancelLoungeSubscription({ path: { id }, ...bob.as });
    expect(cancelled.data).toMatchObject({ status: 'active', renews: false, paidUntil: '2026-08-10T08:00:00.000Z' });
    expect((await cancelLoungeSubscription({ path: { id }, ...bob.as })).response?.status).toBe(200);
    clock.set(new Date('2026-08-10T08:00:00Z'));
    await local.platform.services.communityRenewals.runOnce();
    const member = (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === bob.user.id)!;
    expect(member.subscriptionStatus).toBe('none');
    expect(await balanceOf(bob)).toBe(0.02);
    expect((await cancelLoungeSubscription({ path: { id }, ...bob.as })).error).toMatchObject({
      code: 'NOT_SUBSCRIBED',
    });
  });

  it('keeps a paid month for a member who leaves and joins again: no second charge, still subscribed', async () => {
    clock.set(new Date('2026-10-01T00:00:00Z'));
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await lounge(alice, { subscriptionPriceCents: 500 });
    await fund(bob, 10);
    await subscribeToLounge({ path: { id }, ...bob.as });
    await leaveCommunity({ path: { id }, ...bob.as });
    await joinCommunity({ path: { id }, ...bob.as });
    const member = (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === bob.user.id)!;
    expect(member.subscriptionStatus).toBe('active');
    expect((await subscribeToLounge({ path: { id }, ...bob.as })).error).toMatchObject({ code: 'ALREADY_SUBSCRIBED' });
    expect(await balanceOf(bob)).toBe(5);
  });

  it('resumes a cancelled subscription within its paid month without a charge; refuses 402, free lounges and the creator', async () => {
    clock.set(new Date('2026-09-01T00:00:00Z'));
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await lounge(alice, { subscriptionPriceCents: 500 });
    expect((await subscribeToLounge({ path: { id }, ...bob.as })).error).toMatchObject({
      code: 'INSUFFICIENT_BALANCE',
    });
    expect((await listCommunityMembers({ path: { id } })).data!.members).toHaveLength(1); // nothing written, not even the join
    await fund(bob, 5);
    await subscribeToLounge({ path: { id }, ...bob.as });
    await cancelLoungeSubscription({ path: { id }, ...bob.as });
    expect((await subscribeToLounge({ path: { id }, ...bob.as })).data).toMatchObject({
      renews: true,
      status: 'active',
    });
    expect(await balanceOf(bob)).toBe(0);
    expect((await subscribeToLounge({ path: { id }, ...alice.as })).error).toMatchObject({ code: 'NO_SUBSCRIPTION' });
    const free = await lounge(alice);
    expect((await subscribeToLounge({ path: { id: free }, ...bob.as })).error).toMatchObject({
      code: 'NO_SUBSCRIPTION',
    });
    expect((await subscribeToLounge({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
    expect((await subscribeToLounge({ path: { id } })).response?.status).toBe(401);
    expect((await subscribeToLounge({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
    expect((await cancelLoungeSubscription({ path: { id: UNKNOWN }, ...bob.as })).response?.status).toBe(404);
    expect((await cancelLoungeSubscription({ path: { id } })).response?.status).toBe(401);
    expect((await cancelLoungeSubscription({ path: { id: 'x' }, ...bob.as })).response?.status).toBe(400);
  });
});

describe('rate limits on lounges and charges', () => {
  it('answers 429 with Retry-After past loungeCreatesPerUser; creating nothing more', async () => {
    const limited = await startTestServer({ rateLimits: { loungeCreatesPerUser: 2 } });
    const c = { client: createPlatformClient({ baseUrl: limited.baseUrl }) };
    watchClient(c.client);
    try {
      const alice = await newUser('Alice', c);
      for (let i = 0; i < 2; i++)
        expect((await createLounge({ ...c, body: { name: `L${i}` }, ...alice.as })).response?.status).toBe(201);
      const third = await createLounge({
        ...c,
        body: { name: 'L3', voiceSamplesUrl: 'https://cdn.example.net/voice.wav' },
        ...alice.as,
      });
      expect(third.response?.status).toBe(429);
      expect(third.error).toMatchObject({ code: 'RATE_LIMITED' });
      const retryAfter = Number(third.response?.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(Number((await limited.platform.database.knex('lounges').count({ n: '*' }).first())!.n)).toBe(2);
    } finally {
      await limited.stop();
    }
  });

  it("counts a user's community joins and lounge subscriptions together (chargesPerUser): past it, 429 and nothing charged; other users are not held back", async () => {
    const limited = await startTestServer({ rateLimits: { chargesPerUser: 2 } });
    const c = { client: createPlatformClient({ baseUrl: limited.baseUrl }) };
    watchClient(c.client);
    try {
      const alice = await newUser('Alice', c);
      const bob = await newUser('Bob', c);
      await fund(bob, 10);
      const paid = async (name: string) =>
        (await createCommunity({ ...c, body: { name, joinFee: 1 }, ...alice.as })).data!.id;
      const club = await paid('Club');
      const other = await paid('Other');
      const lounge = (await createLounge({ ...c, body: { name: 'L', subscriptionPriceCents: 100 }, ...alice.as })).data!
        .id;
      expect((await joinCommunity({ ...c, path: { id: club }, ...bob.as })).response?.status).toBe(200);
      expect((await subscribeToLounge({ ...c, path: { id: lounge }, ...bob.as })).response?.status).toBe(200);
      const third = await joinCommunity({ ...c, path: { id: other }, ...bob.as });
      expect(third.response?.status).toBe(429);
      expect(Number(third.response?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await balanceOf(bob)).toBe(8);
      expect((await listCommunityMembers({ ...c, path: { id: other } })).data!.members.map((m) => m.userId)).toEqual([
        alice.user.id,
      ]);
      // Per user, not per address: another user from the same address still joins.
      const carol = await newUser('Carol', c);
      await fund(carol, 10);
      expect((await joinCommunity({ ...c, path: { id: other }, ...carol.as })).response?.status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('lounge voice', () => {
  let fake: FakeOpenAi;
  let voiced: TestServer & { stop(): Promise<void> };
  let samples: HttpsListener;
  let samplesUrl: string;
  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // Voice samples must be on https, on a public host: a local listener with a certificate from a test
    // authority, reached because the operator's settings trust that authority and allow this listener.
    samples = await startHttpsListener((req, res) => {
      if (req.url === '/voice.wav') res.writeHead(200, { 'Content-Type': 'audio/wav' }).end(wav(2000));
      else res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not audio</html>');
    });
    samplesUrl = samples.origin;
    voiced = await startTestServer({
      agent: { baseUrl: fake.baseUrl, timeoutMs: 3000 },
      speech: { baseUrl: fake.baseUrl, model: 'tts-1', voice: 'alloy' },
      outbound: { allowHosts: [`127.0.0.1:${samples.port}`], ca: testCertificates().ca },
    });
  });
  afterAll(async () => {
    await voiced?.stop();
    await fake?.close();
    await samples?.close();
  });

  const client = () => {
    const c = createPlatformClient({ baseUrl: voiced.baseUrl });
    watchClient(c);
    return { client: c };
  };

  async function say(conversationId: string, user: TestUser): Promise<string[]> {
    const response = await fetch(`${voiced.baseUrl}/api/conversations/${conversationId}/agent-chat`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${user.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ content: 'Talk to me' }),
    });
    recordExercised('chatInConversation', response.status);
    return (await readEvents(response)).map((e) => e.event!);
  }

  it('clones a voice from https samples that are audio (ready), and reports samples that are not (failed, with why)', async () => {
    const c = client();
    const alice = await newUser('Alice', c);
    const good = await lounge(alice, { voiceSamplesUrl: `${samplesUrl}/voice.wav` });
    const bad = await lounge(alice, { voiceSamplesUrl: `${samplesUrl}/page.html` });
    expect((await getLounge({ ...c, path: { id: good } })).data!.voiceModelStatus).toMatch(/pending|ready/);
    await voiced.platform.services.lounge.cloneVoices();
    await expect.poll(async () => (await getLounge({ ...c, path: { id: good } })).data!.voiceModelStatus).toBe('ready');
    expect((await getLounge({ ...c, path: { id: good } })).data).toMatchObject({
      voiceModelId: expect.stringMatching(/^local_[0-9a-f]{16}$/),
      voiceModelError: null,
      voiceSamplesUrl: `${samplesUrl}/voice.wav`,
    });
    await expect.poll(async () => (await getLounge({ ...c, path: { id: bad } })).data!.voiceModelStatus).toBe('failed');
    expect((await getLoungeDashboard({ ...c, path: { id: bad }, ...alice.as })).data).toMatchObject({
      voiceModelStatus: 'failed',
      voiceModelError: 'The samples URL did not send audio.',
    });
    expect((await getLounge({ ...c, path: { id: bad } })).data).toMatchObject({
      voiceModelStatus: 'failed',
      voiceModelId: null,
      voiceModelError: 'The samples URL did not send audio.',
    });
  });

  it('speaks within the free minutes for non-subscribers (audio 90 s each: 2 free minutes = 2 replies), always for subscribers', async () => {
    const c = client();
    const alice = await newUser('Alice', c);
    const bob = await newUser('Bob', c);
    const carol = await newUser('Carol', c);
    const id = await lounge(alice, {
      freeMinutesPerDay: 2,
      subscriptionPriceCents: 100,
      voiceSamplesUrl: `${samplesUrl}/voice.wav`,
    });
    await voiced.platform.services.lounge.cloneVoices();
    const bobs = (await startLoungeChat({ ...c, path: { id }, ...bob.as })).data!.conversationId;
    expect(await say(bobs, bob)).toContain('audio_ready');
    expect(fake.speechRequests.at(-1)!.voice).toMatch(/^local_/); // the lounge's cloned voice
    const [reply] = (await listConversationMessages({ ...c, path: { conversation_id: bobs }, ...bob.as })).data!
      .messages;
    expect(reply).toMatchObject({
      senderKind: 'ai',
      ttsAudioUrl: expect.stringMatching(/\/api\/audio\/[0-9a-f-]{36}$/),
    });
    expect(await say(bobs, bob)).toContain('audio_ready'); // 1.5 minutes used: still under 2
    const third = await say(bobs, bob);
    expect(third.at(-1)).toBe('done'); // 3 minutes used: text only
    expect(third).not.toContain('audio_ready');
    expect((await getLoungeDashboard({ ...c, path: { id }, ...alice.as })).data!.todayUsageMinutes).toBe(3);

    await fund(carol, 1);
    await subscribeToLounge({ ...c, path: { id }, ...carol.as });
    const carols = (await startLoungeChat({ ...c, path: { id }, ...carol.as })).data!.conversationId;
    for (let i = 0; i < 3; i++) expect(await say(carols, carol)).toContain('audio_ready');
    expect((await getLoungeDashboard({ ...c, path: { id }, ...alice.as })).data!.todayUsageMinutes).toBe(7);
  });
});

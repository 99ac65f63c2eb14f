// Official customer service: start-chat (one conversation per customer), the AI-to-human handoff and its
// state machine, the queue, CS staff, and who may do what; with the concurrency cases on the real database.
import { describe, expect, it } from 'vitest';
import {
  acceptTransfer,
  createCommunity,
  getCommunity,
  getCsQueue,
  getCsStatus,
  inviteCsAgent,
  joinCommunity,
  leaveCommunity,
  listCommunityMembers,
  listConversationMessages,
  requestHumanTransfer,
  resolveConversation,
  sendConversationMessage,
  startOfficialChat,
  deleteCommunity,
  type CommunityCsMode,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

useTestServer();
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

interface Official {
  id: string;
  creator: TestUser;
  agent: TestUser;
  customer: TestUser;
}

async function official(csMode: CommunityCsMode = 'hybrid'): Promise<Official> {
  const creator = await newUser('Creator');
  const agent = await newUser('Agent');
  const customer = await newUser('Customer');
  const id = (await createCommunity({ body: { name: 'Acme Official', type: 'official', csMode }, ...creator.as })).data!
    .id;
  await inviteCsAgent({ path: { id }, body: { userId: agent.user.id }, ...creator.as });
  return { id, creator, agent, customer };
}
const start = async (o: Official, who: TestUser = o.customer) =>
  (await startOfficialChat({ path: { id: o.id }, ...who.as })).data!;

describe('startOfficialChat', () => {
  it('creates one conversation (201, ai_active) and returns it after (200, existing)', async () => {
    const o = await official();
    const first = await startOfficialChat({ path: { id: o.id }, ...o.customer.as });
    expect(first.response?.status).toBe(201);
    expect(first.data).toMatchObject({ existing: false, status: 'ai_active' });
    const again = await startOfficialChat({ path: { id: o.id }, ...o.customer.as });
    expect(again.response?.status).toBe(200);
    expect(again.data).toEqual({ ...first.data, existing: true });
  });

  it('starts in waiting_human in human_only communities', async () => {
    const o = await official('human_only');
    expect((await start(o)).status).toBe('waiting_human');
  });

  it('creates exactly one conversation for 10 concurrent first calls', async () => {
    const o = await official();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => startOfficialChat({ path: { id: o.id }, ...o.customer.as })),
    );
    expect(results.filter((r) => r.response?.status === 201)).toHaveLength(1);
    expect(new Set(results.map((r) => r.data!.conversationId)).size).toBe(1);
  });

  it('refuses clubs (409 NOT_OFFICIAL), archived (409), unknown (404), anonymous (401), bad ids (400)', async () => {
    const o = await official();
    const club = (await createCommunity({ body: { name: 'Club' }, ...o.creator.as })).data!.id;
    expect((await startOfficialChat({ path: { id: club }, ...o.customer.as })).error).toMatchObject({
      code: 'NOT_OFFICIAL',
    });
    expect((await startOfficialChat({ path: { id: UNKNOWN }, ...o.customer.as })).response?.status).toBe(404);
    expect((await startOfficialChat({ path: { id: o.id } })).response?.status).toBe(401);
    expect((await startOfficialChat({ path: { id: 'x' }, ...o.customer.as })).response?.status).toBe(400);
    await deleteCommunity({ path: { id: o.id }, ...o.creator.as });
    expect((await startOfficialChat({ path: { id: o.id }, ...o.customer.as })).error).toMatchObject({
      code: 'COMMUNITY_ARCHIVED',
    });
  });
});

describe('the handoff', () => {
  it('goes ai_active -> waiting_human -> human_active -> resolved, with a system message for each step', async () => {
    const o = await official();
    const { conversationId } = await start(o);
    expect((await requestHumanTransfer({ path: { id: o.id }, body: {}, ...o.customer.as })).data).toEqual({
      status: 'waiting_human',
    });
    expect((await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as })).response?.status).toBe(200); // retry: no change
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...o.customer.as })).data).toEqual({
      status: 'waiting_human',
    });
    expect((await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as })).data).toEqual({
      status: 'human_active',
    });
    expect(
      (await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as })).response?.status,
    ).toBe(200); // same agent: retry
    expect(
      (await requestHumanTransfer({ path: { id: o.id }, body: { conversationId }, ...o.customer.as })).error,
    ).toMatchObject({ code: 'HUMAN_IN_CONTROL' });
    const staffMessage = await sendConversationMessage({
      path: { conversation_id: conversationId },
      body: { content: 'Hi, I am Agent.' },
      ...o.agent.as,
    });
    expect(staffMessage.data).toMatchObject({ senderKind: 'cs_agent', senderId: o.agent.user.id });
    expect((await resolveConversation({ path: { id: o.id }, body: { conversationId }, ...o.agent.as })).data).toEqual({
      status: 'resolved',
    });
    expect(
      (await resolveConversation({ path: { id: o.id }, body: { conversationId }, ...o.customer.as })).response?.status,
    ).toBe(200);
    const history = (await listConversationMessages({ path: { conversation_id: conversationId }, ...o.customer.as }))
      .data!.messages;
    expect(history.filter((m) => m.senderKind === 'system')).toHaveLength(3);
    const [resolvedEntry] = (await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!.queue;
    expect(resolvedEntry).toMatchObject({
      id: conversationId,
      conversationId,
      status: 'resolved',
      assignedCsId: o.agent.user.id,
    }); // kept when resolved
    // The customer writes again: reopened to ai_active (a fourth system message), assignment cleared.
    await sendConversationMessage({
      path: { conversation_id: conversationId },
      body: { content: 'One more thing' },
      ...o.customer.as,
    });
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...o.agent.as })).data).toEqual({
      status: 'ai_active',
    });
    const [reopened] = (await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!.queue;
    expect(reopened).toMatchObject({
      id: conversationId,
      status: 'ai_active',
      assignedCsId: null,
      userId: o.customer.user.id,
      userName: 'Customer',
      userImage: null,
    });
    expect(Date.parse(reopened!.updatedAt)).toBeGreaterThan(Date.parse(resolvedEntry!.updatedAt)); // the start of its current wait
    const notices = (
      await listConversationMessages({ path: { conversation_id: conversationId }, ...o.customer.as })
    ).data!.messages.filter((m) => m.senderKind === 'system');
    expect(notices).toHaveLength(4);
    for (const m of notices)
      expect(m).toMatchObject({ senderId: null, agentListingId: null, ttsAudioUrl: null, conversationId });
  });

  it('reopens a human_only conversation to waiting_human', async () => {
    const o = await official('human_only');
    const { conversationId } = await start(o);
    await resolveConversation({ path: { id: o.id }, body: { conversationId }, ...o.customer.as });
    await sendConversationMessage({
      path: { conversation_id: conversationId },
      body: { content: 'Again' },
      ...o.customer.as,
    });
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...o.customer.as })).data).toEqual({
      status: 'waiting_human',
    });
  });

  it('gives a transfer to exactly one of 10 agents accepting at once; the others get 409 ALREADY_ACCEPTED', async () => {
    const o = await official();
    const agents = [o.agent, ...(await Promise.all(Array.from({ length: 9 }, () => newUser('Agent'))))];
    for (const a of agents.slice(1))
      await inviteCsAgent({ path: { id: o.id }, body: { userId: a.user.id }, ...o.creator.as });
    const { conversationId } = await start(o);
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    const results = await Promise.all(
      agents.map((a) => acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...a.as })),
    );
    expect(results.filter((r) => r.response?.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.response?.status === 409).map((r) => (r.error as { code: string }).code)).toEqual(
      Array(9).fill('ALREADY_ACCEPTED'),
    );
    const [entry] = (await getCsQueue({ path: { id: o.id }, ...o.creator.as })).data!.queue;
    const winner = agents[results.findIndex((r) => r.response?.status === 200)]!;
    expect(entry).toMatchObject({ conversationId, status: 'human_active', assignedCsId: winner.user.id });
  });

  it('leaves one consistent state when resolve and accept race', async () => {
    const o = await official();
    const { conversationId } = await start(o);
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    const [accepted, resolved] = await Promise.all([
      acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as }),
      resolveConversation({ path: { id: o.id }, body: { conversationId }, ...o.customer.as }),
    ]);
    expect(resolved.response?.status).toBe(200);
    const final = (await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...o.customer.as })).data!.status;
    // Either order is valid; the final state must match it: accept first then resolve -> resolved;
    // resolve first -> accept refused (409 NOT_WAITING_HUMAN), still resolved.
    expect(final).toBe('resolved');
    expect([200, 409]).toContain(accepted.response?.status);
  });

  it('refuses what the state machine forbids, with the documented codes', async () => {
    const ai = await official('ai_only');
    await start(ai);
    expect((await requestHumanTransfer({ path: { id: ai.id }, ...ai.customer.as })).error).toMatchObject({
      code: 'HUMAN_HANDOFF_UNAVAILABLE',
    });
    const o = await official();
    const { conversationId } = await start(o);
    expect((await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as })).error).toMatchObject(
      { code: 'NOT_WAITING_HUMAN' },
    );
    const noConversation = await newUser('Nobody');
    expect((await requestHumanTransfer({ path: { id: o.id }, ...noConversation.as })).error).toMatchObject({
      code: 'CONVERSATION_NOT_FOUND',
    });
    expect(
      (await requestHumanTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as })).error,
    ).toMatchObject({ code: 'NOT_CUSTOMER' });
    expect(
      (await requestHumanTransfer({ path: { id: o.id }, body: { conversationId }, ...noConversation.as })).error,
    ).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    expect(
      (await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.customer.as })).error,
    ).toMatchObject({ code: 'NOT_CS_STAFF' });
    expect(
      (await acceptTransfer({ path: { id: o.id }, body: { conversationId: UNKNOWN }, ...o.agent.as })).error,
    ).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    // Another CS agent may neither resolve nor write in a conversation assigned to someone else.
    const other = await newUser('Other agent');
    await inviteCsAgent({ path: { id: o.id }, body: { userId: other.user.id }, ...o.creator.as });
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as });
    expect((await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...other.as })).error).toMatchObject({
      code: 'ALREADY_ACCEPTED',
    });
    expect(
      (await resolveConversation({ path: { id: o.id }, body: { conversationId }, ...other.as })).error,
    ).toMatchObject({ code: 'NOT_ASSIGNED' });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: conversationId },
          body: { content: 'me too' },
          ...other.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_ASSIGNED' });
    expect(
      (await resolveConversation({ path: { id: o.id }, body: { conversationId }, ...noConversation.as })).error,
    ).toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: conversationId },
          body: { content: 'ok' },
          ...o.creator.as,
        })
      ).response?.status,
    ).toBe(201);
  });

  it("puts a leaving CS agent's conversations back in the queue", async () => {
    const o = await official();
    const { conversationId } = await start(o);
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId }, ...o.agent.as });
    await leaveCommunity({ path: { id: o.id }, ...o.agent.as });
    expect(
      (await getCsQueue({ path: { id: o.id }, query: { status: 'waiting_human' }, ...o.creator.as })).data!.queue,
    ).toEqual([expect.objectContaining({ conversationId, assignedCsId: null })]);
  });

  it('validates bodies (400, 413) and needs a caller (401)', async () => {
    const o = await official();
    for (const call of [acceptTransfer, resolveConversation]) {
      expect((await call({ path: { id: o.id }, body: { conversationId: 'x' }, ...o.agent.as })).response?.status).toBe(
        400,
      );
      expect((await call({ path: { id: o.id }, body: { conversationId: UNKNOWN } })).response?.status).toBe(401);
      expect(
        (await call({ path: { id: o.id }, body: { conversationId: 'x'.repeat(1_100_000) }, ...o.agent.as })).response
          ?.status,
      ).toBe(413);
      expect(
        (await call({ path: { id: UNKNOWN }, body: { conversationId: UNKNOWN }, ...o.agent.as })).response?.status,
      ).toBe(404);
    }
    expect(
      (await requestHumanTransfer({ path: { id: o.id }, body: { conversationId: 'x' }, ...o.customer.as })).response
        ?.status,
    ).toBe(400);
    expect((await requestHumanTransfer({ path: { id: o.id } })).response?.status).toBe(401);
    expect((await requestHumanTransfer({ path: { id: UNKNOWN }, ...o.customer.as })).response?.status).toBe(404);
    expect(
      (
        await requestHumanTransfer({
          path: { id: o.id },
          body: { conversationId: 'x'.repeat(1_100_000) },
          ...o.customer.as,
        })
      ).response?.status,
    ).toBe(413);
    const club = (await createCommunity({ body: { name: 'Club' }, ...o.creator.as })).data!.id;
    expect(
      (await resolveConversation({ path: { id: club }, body: { conversationId: UNKNOWN }, ...o.creator.as })).error,
    ).toMatchObject({ code: 'NOT_OFFICIAL' });
  });
});

describe('getCsStatus and getCsQueue', () => {
  it('shows the real status to the customer and staff only; `none` to anyone else, never revealing the conversation', async () => {
    const o = await official();
    const { conversationId } = await start(o);
    const stranger = await newUser('Stranger');
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...stranger.as })).data).toEqual({
      status: 'none',
    });
    expect(
      (await getCsStatus({ path: { id: o.id }, query: { conversationId: UNKNOWN }, ...o.customer.as })).data,
    ).toEqual({ status: 'none' });
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId }, ...o.agent.as })).data).toEqual({
      status: 'ai_active',
    });
    expect((await getCsStatus({ path: { id: o.id }, query: { conversationId } })).response?.status).toBe(401);
    expect(
      (await getCsStatus({ path: { id: o.id }, query: { conversationId: 'x' }, ...o.agent.as })).response?.status,
    ).toBe(400);
    expect(
      (await getCsStatus({ path: { id: UNKNOWN }, query: { conversationId }, ...o.agent.as })).response?.status,
    ).toBe(404);
    const club = (await createCommunity({ body: { name: 'Club' }, ...o.creator.as })).data!.id;
    expect(
      (await getCsStatus({ path: { id: club }, query: { conversationId }, ...o.creator.as })).response?.status,
    ).toBe(409);
  });

  it('orders the queue by status priority, then by waiting time, with customer and agent', async () => {
    const o = await official();
    const customers = await Promise.all(Array.from({ length: 4 }, () => newUser('Customer')));
    const ids: string[] = [];
    for (const c of customers)
      ids.push((await startOfficialChat({ path: { id: o.id }, ...c.as })).data!.conversationId);
    await requestHumanTransfer({ path: { id: o.id }, ...customers[2]!.as }); // waiting, first to wait
    await requestHumanTransfer({ path: { id: o.id }, ...customers[0]!.as }); // waiting, second
    await requestHumanTransfer({ path: { id: o.id }, ...customers[1]!.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: ids[1]! }, ...o.agent.as }); // human_active
    await resolveConversation({ path: { id: o.id }, body: { conversationId: ids[3]! }, ...customers[3]!.as }); // resolved
    const queue = (await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!.queue;
    expect(queue.map((e) => [e.conversationId, e.status])).toEqual([
      [ids[2], 'waiting_human'],
      [ids[0], 'waiting_human'],
      [ids[1], 'human_active'],
      [ids[3], 'resolved'],
    ]);
    expect(queue[2]).toMatchObject({
      userId: customers[1]!.user.id,
      userName: 'Customer',
      assignedCsId: o.agent.user.id,
    });
    expect(
      (await getCsQueue({ path: { id: o.id }, query: { status: 'resolved' }, ...o.creator.as })).data!.queue,
    ).toHaveLength(1);
    expect((await getCsQueue({ path: { id: o.id }, ...customers[0]!.as })).error).toMatchObject({
      code: 'NOT_CS_STAFF',
    });
    expect((await getCsQueue({ path: { id: o.id } })).response?.status).toBe(401);
    expect(
      (await getCsQueue({ path: { id: o.id }, query: { status: 'lost' } as never, ...o.agent.as })).response?.status,
    ).toBe(400);
    expect((await getCsQueue({ path: { id: UNKNOWN }, ...o.agent.as })).response?.status).toBe(404);
    const club = (await createCommunity({ body: { name: 'Club' }, ...o.creator.as })).data!.id;
    expect((await getCsQueue({ path: { id: club }, ...o.creator.as })).error).toMatchObject({ code: 'NOT_OFFICIAL' });
  });
});

describe('inviteCsAgent', () => {
  it('makes a user or a member a CS agent (200, idempotent), never charging; refuses staff and strangers', async () => {
    const creator = await newUser('Creator');
    const id = (await createCommunity({ body: { name: 'Paid Official', type: 'official', joinFee: 5 }, ...creator.as }))
      .data!.id;
    const user = await newUser('User');
    expect((await inviteCsAgent({ path: { id }, body: { userId: user.user.id }, ...creator.as })).data).toEqual({
      success: true,
    });
    expect(
      (await inviteCsAgent({ path: { id }, body: { userId: user.user.id }, ...creator.as })).response?.status,
    ).toBe(200);
    // A CS agent is a member: counted, with role cs_agent and no subscription, charged nothing.
    expect((await getCommunity({ path: { id } })).data!.memberCount).toBe(2);
    expect(
      (await listCommunityMembers({ path: { id } })).data!.members.find((m) => m.userId === user.user.id),
    ).toMatchObject({ role: 'cs_agent', subscriptionStatus: 'none' });
    expect(
      (await inviteCsAgent({ path: { id }, body: { userId: creator.user.id }, ...creator.as })).error,
    ).toMatchObject({ code: 'ALREADY_STAFF' });
    expect((await inviteCsAgent({ path: { id }, body: { userId: UNKNOWN }, ...creator.as })).error).toMatchObject({
      code: 'USER_NOT_FOUND',
    });
    const outsider = await newUser('Outsider');
    expect((await inviteCsAgent({ path: { id }, body: { userId: outsider.user.id }, ...user.as })).error).toMatchObject(
      { code: 'NOT_CREATOR_OR_MODERATOR' },
    );
    expect((await inviteCsAgent({ path: { id }, body: { userId: outsider.user.id } })).response?.status).toBe(401);
    expect((await inviteCsAgent({ path: { id }, body: { userId: 'x' }, ...creator.as })).response?.status).toBe(400);
    expect(
      (await inviteCsAgent({ path: { id }, body: { userId: 'x'.repeat(1_100_000) }, ...creator.as })).response?.status,
    ).toBe(413);
    expect(
      (await inviteCsAgent({ path: { id: UNKNOWN }, body: { userId: outsider.user.id }, ...creator.as })).response
        ?.status,
    ).toBe(404);
    const club = (await createCommunity({ body: { name: 'Club' }, ...creator.as })).data!.id;
    expect(
      (await inviteCsAgent({ path: { id: club }, body: { userId: outsider.user.id }, ...creator.as })).error,
    ).toMatchObject({ code: 'NOT_OFFICIAL' });
    await joinCommunity({ path: { id: club }, ...outsider.as });
  });
});

// Moderators of an official community, appointed by its creator (updateCommunityMemberRole): the customer-
// service rights the contract gives them (queue, status, accept, write, resolve any conversation, invite CS
// agents), what stays the creator's or the customer's, and what ends with the role.
import { describe, expect, it } from 'vitest';
import {
  acceptTransfer,
  addCommunityAgent,
  createAgentListing,
  createCommunity,
  deleteCommunity,
  getCsQueue,
  getCsStatus,
  inviteCsAgent,
  joinCommunity,
  leaveCommunity,
  listConversationMessages,
  requestHumanTransfer,
  requestVerification,
  resolveConversation,
  sendConversationMessage,
  startOfficialChat,
  updateCommunity,
  updateCommunityMemberRole,
} from '@platform/client';
import { recordExercised, useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();

interface Official {
  id: string;
  creator: TestUser;
  moderator: TestUser;
  agent: TestUser;
  customer: TestUser;
  conversationId: string;
}

/** A hybrid official community with a moderator (joined, then appointed), a CS agent and one customer's conversation. */
async function official(): Promise<Official> {
  const [creator, moderator, agent, customer] = await Promise.all(
    ['Creator', 'Moderator', 'Agent', 'Customer'].map((n) => newUser(n)),
  );
  const id = (
    await createCommunity({ body: { name: 'Acme Official', type: 'official', csMode: 'hybrid' }, ...creator!.as })
  ).data!.id;
  await joinCommunity({ path: { id }, ...moderator!.as });
  const appointed = await updateCommunityMemberRole({
    path: { id, user_id: moderator!.user.id },
    body: { role: 'moderator' },
    ...creator!.as,
  });
  expect(appointed.data!.role).toBe('moderator');
  await inviteCsAgent({ path: { id }, body: { userId: agent!.user.id }, ...creator!.as });
  const conversationId = (await startOfficialChat({ path: { id }, ...customer!.as })).data!.conversationId;
  return { id, creator: creator!, moderator: moderator!, agent: agent!, customer: customer!, conversationId };
}

const status = async (o: Official) =>
  (await getCsStatus({ path: { id: o.id }, query: { conversationId: o.conversationId }, ...o.customer.as })).data!
    .status;

describe('a moderator of an official community', () => {
  it('sees the queue and the real status, accepts a transfer, writes and resolves', async () => {
    const o = await official();
    const conversation = { conversationId: o.conversationId };
    expect((await getCsStatus({ path: { id: o.id }, query: conversation, ...o.moderator.as })).data).toEqual({
      status: 'ai_active',
    });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: o.conversationId },
          body: { content: 'Too early' },
          ...o.moderator.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_IN_HUMAN_CONTROL' });
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    expect(
      (await getCsQueue({ path: { id: o.id }, query: { status: 'waiting_human' }, ...o.moderator.as })).data!.queue.map(
        (e) => e.conversationId,
      ),
    ).toEqual([o.conversationId]);
    expect((await acceptTransfer({ path: { id: o.id }, body: conversation, ...o.moderator.as })).data).toEqual({
      status: 'human_active',
    });
    expect((await acceptTransfer({ path: { id: o.id }, body: conversation, ...o.agent.as })).error).toMatchObject({
      code: 'ALREADY_ACCEPTED',
    });
    expect((await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!.queue[0]).toMatchObject({
      status: 'human_active',
      assignedCsId: o.moderator.user.id,
    });
    const sent = await sendConversationMessage({
      path: { conversation_id: o.conversationId },
      body: { content: 'Hello, I am a moderator.' },
      ...o.moderator.as,
    });
    expect(sent.response?.status).toBe(201);
    expect(sent.data).toMatchObject({ senderKind: 'cs_agent', senderId: o.moderator.user.id });
    expect(
      (
        await listConversationMessages({
          path: { conversation_id: o.conversationId },
          query: { limit: 1 },
          ...o.moderator.as,
        })
      ).data!.messages[0]!.id,
    ).toBe(sent.data!.id);
    expect((await resolveConversation({ path: { id: o.id }, body: conversation, ...o.moderator.as })).data).toEqual({
      status: 'resolved',
    });
  });

  it('writes in and resolves a conversation another CS agent holds (a CS agent may not)', async () => {
    const o = await official();
    const other = await newUser('Other agent');
    await inviteCsAgent({ path: { id: o.id }, body: { userId: other.user.id }, ...o.creator.as });
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.agent.as });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: o.conversationId },
          body: { content: 'me too' },
          ...other.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_ASSIGNED' });
    expect(
      (
        await sendConversationMessage({
          path: { conversation_id: o.conversationId },
          body: { content: 'Stepping in.' },
          ...o.moderator.as,
        })
      ).response?.status,
    ).toBe(201);
    expect(
      (await resolveConversation({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...other.as }))
        .error,
    ).toMatchObject({ code: 'NOT_ASSIGNED' });
    expect(
      (await resolveConversation({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.moderator.as }))
        .data,
    ).toEqual({ status: 'resolved' });
    // Resolving keeps the assignment as a record of who handled it.
    expect((await getCsQueue({ path: { id: o.id }, ...o.moderator.as })).data!.queue[0]).toMatchObject({
      status: 'resolved',
      assignedCsId: o.agent.user.id,
    });
  });

  it('invites CS agents; is already staff for inviteCsAgent (its role is not lowered)', async () => {
    const o = await official();
    const user = await newUser('New agent');
    expect(
      (await inviteCsAgent({ path: { id: o.id }, body: { userId: user.user.id }, ...o.moderator.as })).data,
    ).toEqual({ success: true });
    expect((await getCsQueue({ path: { id: o.id }, ...user.as })).response?.status).toBe(200);
    expect(
      (await inviteCsAgent({ path: { id: o.id }, body: { userId: o.moderator.user.id }, ...o.creator.as })).error,
    ).toMatchObject({ code: 'ALREADY_STAFF' });
    expect(
      (await inviteCsAgent({ path: { id: o.id }, body: { userId: o.creator.user.id }, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'ALREADY_STAFF' });
    expect((await getCsQueue({ path: { id: o.id }, ...o.moderator.as })).response?.status).toBe(200);
  });

  it("may not do what is the customer's or the creator's", async () => {
    const o = await official();
    const conversation = { conversationId: o.conversationId };
    expect(
      (await requestHumanTransfer({ path: { id: o.id }, body: conversation, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'NOT_CUSTOMER' });
    // The AI chat is the customer's: staff get 403 NOT_CUSTOMER before any stream (read raw: it is SSE on success).
    const chat = await fetch(`${server.baseUrl}/api/conversations/${o.conversationId}/agent-chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${o.moderator.token}` },
      body: JSON.stringify({ content: 'Hi' }),
    });
    recordExercised('chatInConversation', chat.status);
    expect(await chat.json()).toMatchObject({ status: 403, code: 'NOT_CUSTOMER' });
    expect(
      (await updateCommunity({ path: { id: o.id }, body: { name: 'Renamed' }, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'NOT_CREATOR' });
    const listing = (
      await createAgentListing({
        body: { name: 'Bot', model: 'local', instructions: 'Help.', isPublic: true },
        ...o.moderator.as,
      })
    ).data!;
    expect(
      (await addCommunityAgent({ path: { id: o.id }, body: { listingId: listing.id }, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'NOT_CREATOR' });
    expect(
      (await requestVerification({ path: { id: o.id }, body: { businessName: 'Acme' }, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'NOT_CREATOR' });
    expect(
      (
        await updateCommunityMemberRole({
          path: { id: o.id, user_id: o.agent.user.id },
          body: { role: 'member' },
          ...o.moderator.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_CREATOR' });
    expect((await deleteCommunity({ path: { id: o.id }, ...o.moderator.as })).error).toMatchObject({
      code: 'NOT_CREATOR',
    });
  });
});

describe('the end of a staff role', () => {
  it('takes the rights away and puts the conversations the user held back in the queue', async () => {
    const o = await official();
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.moderator.as });
    const removed = await updateCommunityMemberRole({
      path: { id: o.id, user_id: o.moderator.user.id },
      body: { role: 'member' },
      ...o.creator.as,
    });
    expect(removed.data!.role).toBe('member');
    expect(await status(o)).toBe('waiting_human');
    expect((await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!.queue[0]).toMatchObject({
      conversationId: o.conversationId,
      status: 'waiting_human',
      assignedCsId: null,
    });
    expect((await getCsQueue({ path: { id: o.id }, ...o.moderator.as })).error).toMatchObject({ code: 'NOT_CS_STAFF' });
    expect(
      (await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.moderator.as }))
        .error,
    ).toMatchObject({ code: 'NOT_CS_STAFF' });
    expect(
      (await listConversationMessages({ path: { conversation_id: o.conversationId }, ...o.moderator.as })).response
        ?.status,
    ).toBe(404);
    expect(
      (await getCsStatus({ path: { id: o.id }, query: { conversationId: o.conversationId }, ...o.moderator.as })).data,
    ).toEqual({ status: 'none' });
    expect(
      (await inviteCsAgent({ path: { id: o.id }, body: { userId: o.customer.user.id }, ...o.moderator.as })).error,
    ).toMatchObject({ code: 'NOT_CREATOR_OR_MODERATOR' });
    // The history says why the conversation went back to the queue.
    const history = (await listConversationMessages({ path: { conversation_id: o.conversationId }, ...o.customer.as }))
      .data!.messages;
    expect(history[0]).toMatchObject({ senderKind: 'system' });
  });

  it('makes a CS agent a moderator, and a CS agent a plain member', async () => {
    const o = await official();
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.agent.as });
    // Promoted: keeps the conversation (still staff).
    expect(
      (
        await updateCommunityMemberRole({
          path: { id: o.id, user_id: o.agent.user.id },
          body: { role: 'moderator' },
          ...o.creator.as,
        })
      ).data!.role,
    ).toBe('moderator');
    expect(await status(o)).toBe('human_active');
    expect(
      (
        await updateCommunityMemberRole({
          path: { id: o.id, user_id: o.agent.user.id },
          body: { role: 'member' },
          ...o.creator.as,
        })
      ).data!.role,
    ).toBe('member');
    expect(await status(o)).toBe('waiting_human');
  });

  it('releases the conversations of a moderator who leaves', async () => {
    const o = await official();
    await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.moderator.as });
    await leaveCommunity({ path: { id: o.id }, ...o.moderator.as });
    expect((await getCsQueue({ path: { id: o.id }, ...o.creator.as })).data!.queue[0]).toMatchObject({
      status: 'waiting_human',
      assignedCsId: null,
    });
  });

  it('is never left holding a conversation when the role ends while they accept it', async () => {
    for (let round = 0; round < 5; round++) {
      const o = await official();
      await requestHumanTransfer({ path: { id: o.id }, ...o.customer.as });
      const [accepted, removed] = await Promise.all([
        acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversationId }, ...o.moderator.as }),
        updateCommunityMemberRole({
          path: { id: o.id, user_id: o.moderator.user.id },
          body: { role: 'member' },
          ...o.creator.as,
        }),
      ]);
      expect(removed.response?.status).toBe(200);
      // Either the accept came first and was released, or it came second and was refused.
      if (accepted.response?.status !== 200) expect(accepted.error).toMatchObject({ code: 'NOT_CS_STAFF' });
      const [entry] = (await getCsQueue({ path: { id: o.id }, ...o.creator.as })).data!.queue;
      expect(entry).toMatchObject({ status: 'waiting_human', assignedCsId: null });
    }
  });
});

// Agent runs: a mention queues a run, the worker executes it with the room's tools and posts the reply, and
// every run ends in exactly one terminal status with paired tool events. The local provider (the default)
// uses each tool once; the OpenAI-compatible provider is driven by a fake server that asks for tools.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveRoom,
  createAgentListing,
  createAgentRoleDocument,
  createPlatformClient,
  createRulesDocument,
  getRoomRun,
  leaveRoom,
  listRoomEvents,
  listRoomRunToolEvents,
  listRoomTimeline,
  type Client,
  type RoomToolEvent,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { FLOOD_CALLS, startFakeOpenAi, type FakeOpenAi } from '../../helpers/fake-openai.js';
import { allEvents, inviteAgent, inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';
import { startTestServer, useTestServer, watchClient, type TestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const local = useTestServer();
let fake: FakeOpenAi;
let remote: TestServer & { stop(): Promise<void> };
let remoteClient: Client;
beforeAll(async () => {
  fake = await startFakeOpenAi({ slowMs: 1500 });
  remote = await startTestServer({
    agent: { baseUrl: fake.baseUrl, timeoutMs: 1000 },
    runs: { ...local.config.runs, maxToolCalls: 2, heartbeatMs: 100 },
  });
  remoteClient = createPlatformClient({ baseUrl: remote.baseUrl });
  watchClient(remoteClient);
});
afterAll(async () => {
  await remote?.stop();
  await fake?.close();
});

/** A room with an agent participant (listing `model`), optionally with a role and rules documents. */
async function agentRoom(
  owner: TestUser,
  model = 'local',
  options: { role?: string; rules?: string; name?: string } = {},
) {
  const rules = options.rules
    ? (await createRulesDocument({ body: { displayName: 'House rules', body: options.rules }, ...owner.as })).data!
    : undefined;
  const room = await newRoom(owner, 'Launch planning', { rulesDocumentId: rules?.id ?? null });
  const listing = (
    await createAgentListing({
      body: { name: options.name ?? 'Research Assistant', model, instructions: 'You are the listing.' },
      ...owner.as,
    })
  ).data!;
  const role = options.role
    ? (await createAgentRoleDocument({ body: { displayName: 'Researcher', body: options.role }, ...owner.as })).data!
    : undefined;
  const invitation = await inviteAgent(room.id, owner, listing.id, role?.id ?? null);
  return { room, listing, role, agentId: invitation.acceptedParticipantId!, rules };
}

const runIdOf = async (roomId: string, user: TestUser) => {
  const queued = (await allEvents(roomId, user)).filter((e) => e.type === 'run.queued');
  return (queued.at(-1)!.payload as { runId: string }).runId;
};

/** Every tool.started has exactly one terminal event with the same toolCallId, after it, with durationMs = completedAt - startedAt. */
function expectPaired(events: RoomToolEvent[]) {
  const started = events.filter((e) => e.type === 'tool.started');
  const ended = events.filter((e) => e.type !== 'tool.started');
  expect(ended).toHaveLength(started.length);
  for (const s of started) {
    const terminal = ended.filter((e) => e.payload.toolCallId === s.payload.toolCallId);
    expect(terminal).toHaveLength(1);
    const end = terminal[0]!;
    expect(end.seq).toBeGreaterThan(s.seq);
    expect(end.payload.startedAt).toBe(s.payload.startedAt);
    expect(end.payload.durationMs).toBe(Date.parse(end.payload.completedAt!) - Date.parse(end.payload.startedAt));
    expect(s.payload).toMatchObject({ completedAt: null, durationMs: null, status: 'started' });
  }
}

describe('a mention runs the agent (local provider)', () => {
  it('queued -> running -> completed: the tools, the reply with runSummary, each step an event', async () => {
    const owner = await newUser('Owner');
    const { room, agentId, role, listing } = await agentRoom(owner, 'local', {
      role: 'You research launches. Be brief.',
      rules: 'Be kind. No spoilers.',
    });
    await post(room.id, owner, 'The launch went well');
    const trigger = await post(room.id, owner, '@Research Assistant what did we say about the launch?');
    const runId = await runIdOf(room.id, owner);
    expect((await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data).toMatchObject({
      status: 'queued',
      startedAt: null,
      completedAt: null,
      roleDocumentVersionId: null,
      replyMessageId: null,
      error: null,
      toolCallCount: 0,
      triggerMessageId: trigger.id,
    });

    expect(await local.platform.services.rooms.worker.drain()).toBe(1);

    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!;
    expect(run).toMatchObject({
      status: 'completed',
      participantId: agentId,
      triggerMessageId: trigger.id,
      error: null,
      toolCallCount: 3,
      roleDocumentVersionId: role!.latestVersion.id,
    });
    expect(Date.parse(run.completedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!));
    const events = await allEvents(room.id, owner);
    const after = events.filter((e) => e.seq > trigger.seq).map((e) => e.type);
    expect(after).toEqual([
      'run.queued',
      'run.started',
      'tool.started',
      'tool.completed',
      'tool.started',
      'tool.completed',
      'tool.started',
      'tool.completed',
      'message.posted',
      'run.completed',
    ]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // still gapless

    const timeline = (await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...owner.as })).data!;
    const reply = timeline.items.map((i) => i.message).filter((m) => m?.actorKind === 'agent');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatchObject({
      id: run.replyMessageId,
      bodyFormat: 'markdown',
      actorDisplayName: 'Research Assistant',
      actorRoleDocumentVersionId: role!.latestVersion.id,
      actorRoleDocumentVersion: 1,
      runSummary: { runId, status: 'completed', toolCallCount: 3 },
      branchedFromMessageId: trigger.id, // the message whose mention started the run
      actorKind: 'agent',
      actorMembershipId: listing.id, // an agent's membership id is its listing id
      editedAt: null,
      deletedAt: null,
      updatedAt: reply[0]!.createdAt,
    });
    // Humans' messages branch from nothing.
    expect(
      timeline.items
        .map((i) => i.message)
        .filter((m) => m?.actorKind === 'human')
        .map((m) => m!.branchedFromMessageId),
    ).toEqual([null, null]);
    expect(trigger.branchedFromMessageId).toBeNull();
    // The role document version's instructions, and what each tool returned, are in the reply.
    expect(reply[0]!.body).toContain('You research launches.');
    expect(reply[0]!.body).toMatch(
      /read_recent_messages returned \d+ characters; search_messages returned \d+ characters; read_rules returned \d+ characters/,
    );
    const posted = events.find((e) => e.type === 'message.posted' && e.subject.id === run.replyMessageId)!;
    expect(posted.actor).toMatchObject({
      kind: 'agent',
      displayName: 'Research Assistant',
      roleDocumentVersionId: role!.latestVersion.id,
    });
    expect(posted.payload).toMatchObject({ messageId: run.replyMessageId, runId, bodyFormat: 'markdown' });
    // The events tie the reply to its trigger too: run.queued names the trigger, run.completed the reply.
    expect(events.find((e) => e.type === 'run.queued')!.payload).toEqual({
      runId,
      participantId: agentId,
      triggerMessageId: trigger.id,
    });
    expect(events.find((e) => e.type === 'run.completed')!.payload).toEqual({
      runId,
      participantId: agentId,
      replyMessageId: run.replyMessageId,
      toolCallCount: 3,
    });

    const tools = (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!.items;
    expect(tools.map((t) => [t.type, t.payload.toolName])).toEqual([
      ['tool.started', 'read_recent_messages'],
      ['tool.completed', 'read_recent_messages'],
      ['tool.started', 'search_messages'],
      ['tool.completed', 'search_messages'],
      ['tool.started', 'read_rules'],
      ['tool.completed', 'read_rules'],
    ]);
    expectPaired(tools);
    expect(tools[0]!.payload).toMatchObject({
      runId,
      roomId: room.id,
      roomParticipantId: agentId,
      roleDocumentVersionId: role!.latestVersion.id,
      linkedRunIds: [],
    });
    for (const t of tools)
      expect([t.schemaVersion, t.payload.status, t.createdAt]).toEqual([
        1,
        t.type.slice('tool.'.length),
        events.find((e) => e.seq === t.seq)!.createdAt,
      ]);
    // Paging forward by seq.
    const first = (
      await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, query: { limit: 4 }, ...owner.as })
    ).data!.items;
    const rest = (
      await listRoomRunToolEvents({
        path: { room_id: room.id, run_id: runId },
        query: { afterSeq: first.at(-1)!.seq, limit: 4 },
        ...owner.as,
      })
    ).data!.items;
    expect([...first, ...rest]).toEqual(tools);
    expect(rest).toHaveLength(2);
  });

  it("an agent's reply never starts a run, even when it mentions agents; one run per agent per message", async () => {
    const owner = await newUser('Owner');
    const { room } = await agentRoom(owner, 'local', { name: 'Scout' });
    const second = (await createAgentListing({ body: { name: 'Scribe', model: 'local' }, ...owner.as })).data!;
    await inviteAgent(room.id, owner, second.id);
    const trigger = await post(room.id, owner, '@Scout and @Scribe and @Scout again: hello');
    expect(await local.platform.services.rooms.worker.drain()).toBe(2);
    const replies = (
      await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...owner.as })
    ).data!.items.filter((i) => i.message?.actorKind === 'agent');
    expect(replies).toHaveLength(2);
    expect(replies.map((r) => r.message!.branchedFromMessageId)).toEqual([trigger.id, trigger.id]);
    expect(replies[0]!.message!.refs.length).toBeGreaterThan(0); // the replies quote the mentions...
    expect(await local.platform.services.rooms.worker.drain()).toBe(0); // ...and start nothing
    expect(await local.platform.database.knex('room_runs').where('roomId', room.id)).toHaveLength(2);
    expect((await allEvents(room.id, owner)).filter((e) => e.type === 'run.queued')).toHaveLength(2);
  });

  it('a tool reads only its own room', async () => {
    const owner = await newUser('Owner');
    const other = await newRoom(owner, 'Elsewhere');
    await post(other.id, owner, 'secret launch numbers from another room');
    const { room } = await agentRoom(owner);
    await post(room.id, owner, '@Research Assistant anything about the launch?');
    await local.platform.services.rooms.worker.drain();
    const body = (
      await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...owner.as })
    ).data!.items.find((i) => i.message?.actorKind === 'agent')!.message!.body;
    expect(body).not.toContain('secret');
    const { runRoomTool } = await import('../../../src/rooms/run-tools.js');
    const found = await runRoomTool(local.platform.database.knex, room.id, 'search_messages', '{"query":"secret"}');
    expect(found).toBe('No message contains "secret".');
    expect(
      await runRoomTool(local.platform.database.knex, other.id, 'search_messages', '{"query":"secret"}'),
    ).toContain('secret launch numbers');
    // Output is bounded, and bad arguments are refused.
    for (let i = 0; i < 5; i++) await post(other.id, owner, 'x'.repeat(2000));
    expect(
      (await runRoomTool(local.platform.database.knex, other.id, 'read_recent_messages', '{"limit":20}')).length,
    ).toBeLessThanOrEqual(4000);
    await expect(
      runRoomTool(local.platform.database.knex, other.id, 'read_recent_messages', '{"limit":0}'),
    ).rejects.toThrow(/limit/);
    await expect(runRoomTool(local.platform.database.knex, other.id, 'search_messages', 'not json')).rejects.toThrow(
      /JSON/,
    );
    await expect(runRoomTool(local.platform.database.knex, other.id, 'delete_everything', '{}')).rejects.toThrow(
      /no tool/,
    );
  });
});

describe('who may read runs', () => {
  it('current participants: 200; former participants and pending invitees 403 NOT_A_PARTICIPANT; strangers 404; bad ids 422', async () => {
    const owner = await newUser('Owner');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const eve = await newUser('Eve');
    const { room } = await agentRoom(owner);
    await joinRoom(room.id, owner, bob);
    await post(room.id, owner, '@Research Assistant hi');
    const runId = await runIdOf(room.id, owner);
    await local.platform.services.rooms.worker.drain();
    expect((await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...bob.as })).response?.status).toBe(200);
    expect(
      (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...bob.as })).response?.status,
    ).toBe(200);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    await inviteHuman(room.id, owner, carol);
    for (const user of [bob, carol]) {
      const run = await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...user.as });
      expect(run.response?.status).toBe(403);
      expect(run.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
      const tools = await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...user.as });
      expect(tools.response?.status).toBe(403);
    }
    expect((await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...eve.as })).response?.status).toBe(404);
    expect(
      (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...eve.as })).response?.status,
    ).toBe(404);
    expect((await getRoomRun({ path: { room_id: room.id, run_id: UNKNOWN }, ...owner.as })).response?.status).toBe(404);
    expect(
      (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: UNKNOWN }, ...owner.as })).response?.status,
    ).toBe(404);
    const elsewhere = await newRoom(owner, 'Elsewhere'); // a run id of another room is not found here
    expect((await getRoomRun({ path: { room_id: elsewhere.id, run_id: runId }, ...owner.as })).response?.status).toBe(
      404,
    );
    expect((await getRoomRun({ path: { room_id: room.id, run_id: runId } })).response?.status).toBe(401);
    expect((await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId } })).response?.status).toBe(401);
    expect((await getRoomRun({ path: { room_id: room.id, run_id: 'nope' }, ...owner.as })).response?.status).toBe(422);
    for (const query of [{ limit: 0 }, { limit: 201 }, { afterSeq: -1 }]) {
      const r = await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, query, ...owner.as });
      expect(r.response?.status).toBe(422);
    }
  });
});

describe('the OpenAI-compatible provider with tools (fake server)', () => {
  const as = (user: TestUser) => user.as; // carries the remote server's client
  const drain = () => remote.platform.services.rooms.worker.drain();
  const remoteUser = (name: string) => newUser(name, { client: remoteClient });

  it('passes the tools, runs the calls it asks for, feeds the results back and posts the answer', async () => {
    const owner = await remoteUser('Owner');
    const { room, agentId } = await (async () => {
      const rules = (
        await createRulesDocument({ body: { displayName: 'House rules', body: 'Be kind.' }, ...as(owner) })
      ).data!;
      const r = await newRoom(owner, 'Launch', { rulesDocumentId: rules.id });
      const listing = (
        await createAgentListing({
          body: { name: 'Helper', model: 'fake-tools', instructions: 'You help.' },
          ...as(owner),
        })
      ).data!;
      const invitation = await inviteAgent(r.id, owner, listing.id);
      return { room: r, agentId: invitation.acceptedParticipantId! };
    })();
    await post(room.id, owner, 'The launch is on Friday');
    const trigger = await post(room.id, owner, '@Helper when is the launch?');
    const runId = await runIdOf(room.id, owner);
    const before = fake.requests.length;
    await drain();
    const requests = fake.requests.slice(before);
    expect(requests).toHaveLength(2);
    expect(requests[0]!.tools!.map((t) => t.function.name)).toEqual([
      'read_recent_messages',
      'search_messages',
      'read_rules',
    ]);
    expect(requests[0]!.messages[0]).toEqual({ role: 'system', content: 'You help.' });
    expect(requests[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'Owner: @Helper when is the launch?' });
    const results = requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(results.map((m) => m.tool_call_id)).toEqual(['call_r0_a', 'call_r0_b']);
    expect(results[0]!.content).toBe('House rules (version 1):\nBe kind.');
    expect(results[1]!.content).toContain('The launch is on Friday');

    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
    expect(run).toMatchObject({ status: 'completed', toolCallCount: 2, participantId: agentId });
    const tools = (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!
      .items;
    expect(tools.map((t) => [t.type, t.payload.toolCallId, t.payload.toolName])).toEqual([
      ['tool.started', 'call_r0_a', 'read_rules'],
      ['tool.completed', 'call_r0_a', 'read_rules'],
      ['tool.started', 'call_r0_b', 'search_messages'],
      ['tool.completed', 'call_r0_b', 'search_messages'],
    ]);
    expectPaired(tools);
    const reply = (
      await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...as(owner) })
    ).data!.items.find((i) => i.message?.id === run.replyMessageId)!.message!;
    expect(reply).toMatchObject({
      branchedFromMessageId: trigger.id,
      actorKind: 'agent',
      bodyFormat: 'markdown',
      runSummary: { runId, status: 'completed', toolCallCount: 2 },
      actorRoleDocumentVersionId: null,
      actorRoleDocumentVersion: null, // no role
    });
    expect(run).toMatchObject({ triggerMessageId: trigger.id, roleDocumentVersionId: null, error: null });
    expect(reply.body).toMatch(
      /^I checked 2 tool results\. \[call_r0_a\] House rules \(version 1\): \[call_r0_b\] \[\d+\] Owner: @Helper when is the launch\?$/,
    );
  });

  it('cuts a reply longer than 20000 characters to 20000 and posts it', async () => {
    const owner = await remoteUser('Owner');
    const room = await newRoom(owner, 'Long');
    const listing = (await createAgentListing({ body: { name: 'Talker', model: 'fake-long' }, ...as(owner) })).data!;
    await inviteAgent(room.id, owner, listing.id);
    await post(room.id, owner, '@Talker tell me everything');
    const runId = await runIdOf(room.id, owner);
    await drain();
    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
    expect(run).toMatchObject({ status: 'completed' });
    const reply = (
      await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...as(owner) })
    ).data!.items.find((i) => i.message?.id === run.replyMessageId)!.message!;
    expect(reply.body).toHaveLength(20_000);
    expect(reply.body).toMatch(/^Lx+$/);
  });

  it(`caps tool calls per run (a call past the cap is refused, unrecorded) and asks for an answer after ${4} rounds`, async () => {
    const owner = await remoteUser('Owner');
    const room = await newRoom(owner, 'Loop');
    const listing = (await createAgentListing({ body: { name: 'Looper', model: 'fake-tools-loop' }, ...as(owner) }))
      .data!;
    await inviteAgent(room.id, owner, listing.id);
    await post(room.id, owner, '@Looper go');
    const runId = await runIdOf(room.id, owner);
    const before = fake.requests.length;
    await drain();
    const requests = fake.requests.slice(before);
    expect(requests.map((r) => r.tool_choice)).toEqual(['auto', 'auto', 'auto', 'auto', 'none']);
    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
    expect(run).toMatchObject({ status: 'completed', toolCallCount: 2 });
    const tools = (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!
      .items;
    expectPaired(tools);
    expect(tools.map((t) => t.type)).toEqual(['tool.started', 'tool.completed', 'tool.started', 'tool.completed']);
    expect(requests[3]!.messages.at(-1)!.content).toMatch(/limit of 2 tool calls/);
  });

  it(`an answer asking for ${FLOOD_CALLS} tool calls at once records the cap's worth: 2 started, each with one terminal event`, async () => {
    const owner = await remoteUser('Owner');
    const room = await newRoom(owner, 'Flood');
    const listing = (await createAgentListing({ body: { name: 'Flooder', model: 'fake-tools-flood' }, ...as(owner) }))
      .data!;
    await inviteAgent(room.id, owner, listing.id);
    const trigger = await post(room.id, owner, '@Flooder go');
    const runId = await runIdOf(room.id, owner);
    const before = fake.requests.length;
    await drain();
    const requests = fake.requests.slice(before);
    expect(requests).toHaveLength(2);
    const answers = requests[1]!.messages.filter((m) => m.role === 'tool');
    expect(answers).toHaveLength(FLOOD_CALLS); // every call the model made is answered, as the protocol requires
    expect(answers.slice(0, 2).map((m) => m.content)).toEqual([
      'This room has no rules document.',
      'This room has no rules document.',
    ]);
    expect(answers.slice(2).every((m) => /limit of 2 tool calls/.test(m.content ?? ''))).toBe(true);

    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
    expect(run).toMatchObject({ status: 'completed', toolCallCount: 2 });
    const tools = (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!
      .items;
    expect(tools.map((t) => [t.type, t.payload.toolCallId])).toEqual([
      ['tool.started', 'call_flood_0'],
      ['tool.completed', 'call_flood_0'],
      ['tool.started', 'call_flood_1'],
      ['tool.completed', 'call_flood_1'],
    ]);
    expectPaired(tools);
    const after = (await allEvents(room.id, owner)).filter((e) => e.seq > trigger.seq).map((e) => e.type);
    expect(after).toEqual([
      'run.queued',
      'run.started',
      'tool.started',
      'tool.completed',
      'tool.started',
      'tool.completed',
      'message.posted',
      'run.completed',
    ]);
  });

  it.each([
    ['fake-500', /answered 500/],
    ['fake-midstream-failure', /stream broke|without \[DONE\]/],
    ['fake-empty', /empty reply/],
    ['fake-silent', /did not answer within 1 s/],
  ])(
    'a provider failure (%s) is a failed run with its error and no reply, never a stuck running',
    async (model, error) => {
      const owner = await remoteUser('Owner');
      const room = await newRoom(owner, 'Failing');
      const listing = (await createAgentListing({ body: { name: 'Fragile', model }, ...as(owner) })).data!;
      await inviteAgent(room.id, owner, listing.id);
      await post(room.id, owner, '@Fragile answer');
      const runId = await runIdOf(room.id, owner);
      await drain();
      const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
      expect(run).toMatchObject({ status: 'failed', replyMessageId: null });
      expect(run.error).toMatch(error);
      expect(Date.parse(run.completedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!)); // started, then ended
      const events = (await listRoomEvents({ path: { room_id: room.id }, query: { limit: 100 }, ...as(owner) })).data!
        .items;
      expect(events.at(-1)).toMatchObject({ type: 'run.failed', payload: { runId, error: run.error } });
      expect(events.filter((e) => e.type === 'message.posted')).toHaveLength(1);
    },
  );

  it('archiving the room mid-run cancels it: the late reply is dropped and the stream of the provider stopped', async () => {
    const owner = await remoteUser('Owner');
    const room = await newRoom(owner, 'Slow');
    const listing = (await createAgentListing({ body: { name: 'Slowpoke', model: 'fake-slow' }, ...as(owner) })).data!;
    await inviteAgent(room.id, owner, listing.id);
    await post(room.id, owner, '@Slowpoke take your time');
    const runId = await runIdOf(room.id, owner);
    const draining = drain();
    for (let i = 0; i < 100; i++) {
      if ((await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!.status === 'running')
        break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await archiveRoom({ path: { room_id: room.id }, ...as(owner) });
    await draining;
    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...as(owner) })).data!;
    expect(run).toMatchObject({ status: 'cancelled', replyMessageId: null, error: null });
    expect(Date.parse(run.completedAt!)).toBeGreaterThanOrEqual(Date.parse(run.startedAt!)); // cancelled while running: it had started
    const events = (await listRoomEvents({ path: { room_id: room.id }, query: { limit: 100 }, ...as(owner) })).data!
      .items;
    expect(events.filter((e) => e.type.startsWith('run.')).map((e) => e.type)).toEqual([
      'run.queued',
      'run.started',
      'run.cancelled',
    ]);
    expect(events.filter((e) => e.type === 'message.posted')).toHaveLength(1);
  });
});

describe('the reaper', () => {
  it('fails a running run whose heartbeat stopped, closing its open tool calls, after the stale timeout', async () => {
    const clock = new ManualClock(new Date('2026-03-10T10:00:00Z'));
    const server = await startTestServer(
      { runs: { ...local.config.runs, staleAfterMs: 60_000, heartbeatMs: 3600_000 } },
      { clock },
    );
    try {
      const c = createPlatformClient({ baseUrl: server.baseUrl });
      watchClient(c);
      const owner = await newUser('Owner', { client: c });
      const room = await newRoom(owner);
      const listing = (await createAgentListing({ body: { name: 'Ghost', model: 'local' }, ...owner.as })).data!;
      await inviteAgent(room.id, owner, listing.id);
      await post(room.id, owner, '@Ghost hello');
      const runId = await runIdOf(room.id, owner);
      // A worker claims the run and records a tool call, then its process "dies": nothing more happens.
      const { RunsQueue } = await import('../../../src/rooms/runs.js');
      const { EventLog } = await import('../../../src/rooms/event-log.js');
      const queue = new RunsQueue(clock, new EventLog(clock), server.platform.services.rooms.documents);
      const knex = server.platform.database.knex;
      const claimed = (await queue.claim(knex, 2))!;
      expect(claimed.run.id).toBe(runId);
      await queue.toolStarted(knex, claimed, { id: 'call_1', name: 'read_rules', startedAt: clock.now() });
      const worker = server.platform.services.rooms.worker;
      clock.advance(59_000);
      expect(await worker.reap()).toBe(0);
      clock.advance(2_000);
      expect(await worker.reap()).toBe(1);
      expect(await worker.reap()).toBe(0);
      const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!;
      expect(run).toMatchObject({
        status: 'failed',
        error: 'The run stopped responding: its worker sent no heartbeat for 60 s.',
      });
      const tools = (await listRoomRunToolEvents({ path: { room_id: room.id, run_id: runId }, ...owner.as })).data!
        .items;
      expect(tools.map((t) => t.type)).toEqual(['tool.started', 'tool.failed']);
      expect(tools[1]!.payload.durationMs).toBe(61_000);
      // The dead worker's late reply is dropped.
      expect(await queue.complete(knex, claimed, 'too late')).toBe(false);
      const events = (await listRoomEvents({ path: { room_id: room.id }, query: { limit: 100 }, ...owner.as })).data!
        .items;
      expect(events.at(-1)).toMatchObject({ type: 'run.failed', actor: { kind: 'system' } });
    } finally {
      await server.stop();
    }
  });
});

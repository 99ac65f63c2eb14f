// Rooms: create (its first events), list (state, include_archived, paging, order, pending invitations), get
// (the actor fields), archive (revokes, cancels, final, idempotent), rules.
import { describe, expect, it } from 'vitest';
import {
  archiveRoom,
  createAgentListing,
  createAgentRoleDocument,
  createRoom,
  createRoomInvitation,
  createRulesDocument,
  getRoom,
  getRoomRun,
  leaveRoom,
  listRoomEvents,
  listRoomInvitations,
  listRooms,
  updateRoomRules,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { inviteAgent, inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';

const server = useTestServer();
const detailLocs = (error: unknown) => (error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
const events = async (roomId: string, u: TestUser) =>
  (await listRoomEvents({ path: { room_id: roomId }, query: { afterSeq: 0, limit: 100 }, ...u.as })).data!.items;
const rulesDoc = async (u: TestUser, name = 'Team norms') =>
  (await createRulesDocument({ body: { displayName: name, body: '# Be kind' }, ...u.as })).data!;

describe('createRoom', () => {
  it('creates an active invite_only room owned by the caller: room.created is seq 1, the owner joined seq 2', async () => {
    const alice = await newUser('Alice');
    const rules = await rulesDoc(alice);
    const { data, response } = await createRoom({
      body: { name: 'Launch', description: 'Q3', rulesDocumentId: rules.id },
      ...alice.as,
    });
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      name: 'Launch',
      description: 'Q3',
      rulesDocumentId: rules.id,
      state: 'active',
      accessPolicy: 'invite_only',
      actorIsOwner: true,
      actorIsParticipant: true,
      actorPendingInvitationId: null,
      createdByKind: 'human',
      createdByMembershipId: alice.user.id,
      createdByDisplayName: 'Alice',
      createdByRoleDocumentVersionId: null,
      archivedAt: null,
      archivedByKind: null,
      archivedByDisplayName: null,
      archivedByMembershipId: null,
      archivedByRoleDocumentVersionId: null,
    });
    expect(data!.participants).toMatchObject([
      {
        membershipId: alice.user.id,
        participantKind: 'human',
        displayName: 'Alice',
        leftAt: null,
        agentEnabled: false,
        roleDocumentId: null,
      },
    ]);
    const log = await events(data!.id, alice);
    expect(log.map((e) => [e.seq, e.type])).toEqual([
      [1, 'room.created'],
      [2, 'participant.joined'],
    ]);
    expect(log[0]).toMatchObject({
      subject: { kind: 'room', id: data!.id },
      payload: { name: 'Launch', rulesDocumentId: rules.id, rulesDocumentVersionId: rules.latestVersion.id },
      schemaVersion: 1,
      render: { rendererKey: 'room.created', rendererVersion: 1, slot: 'timeline' },
    });
    expect(log[1]).toMatchObject({
      subject: { kind: 'participant', id: data!.participants[0]!.id },
      actor: { kind: 'human', membershipId: alice.user.id, displayName: 'Alice' },
    });
    for (const e of log) expect(e.render.fallbackText.length).toBeGreaterThan(0);
    // updatedAt is the time of the room's latest event, here and after each change.
    expect(data!.updatedAt).toBe(log.at(-1)!.createdAt);
    await post(data!.id, alice, 'later');
    const after = (await getRoom({ path: { room_id: data!.id }, ...alice.as })).data!;
    expect(after.updatedAt).toBe((await events(data!.id, alice)).at(-1)!.createdAt);
    expect(after.createdAt).toBe(data!.createdAt);
  });

  it('422 for a missing or long name, an unknown field, or a rulesDocumentId that is not a rules document; nothing is created', async () => {
    const alice = await newUser('Alice');
    const role = (await createAgentRoleDocument({ body: { displayName: 'Role', body: 'x' }, ...alice.as })).data!;
    for (const [body, loc] of [
      [{}, ['body', 'name']],
      [{ name: 'x'.repeat(256) }, ['body', 'name']],
      [{ name: 'x', extra: 1 }, ['body', 'extra']],
      [{ name: 'x', rulesDocumentId: role.id }, ['body', 'rulesDocumentId']],
      [{ name: 'x', rulesDocumentId: UNKNOWN }, ['body', 'rulesDocumentId']],
    ] as const) {
      const r = await createRoom({ body: body as never, ...alice.as });
      expect(r.response?.status, JSON.stringify(body)).toBe(422);
      expect(detailLocs(r.error)).toContainEqual(loc);
    }
    expect((await listRooms({ ...alice.as })).data!.items).toEqual([]);
    expect((await createRoom({ body: { name: 'x' } })).response?.status).toBe(401);
    expect(
      (await createRoom({ body: { name: 'x', description: 'y'.repeat(1_100_000) }, ...alice.as })).response?.status,
    ).toBe(413);
  });
});

describe('listRooms', () => {
  it('lists current rooms and pending invitations, most recently active first; archived hidden unless asked; paging', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const a = await newRoom(alice, 'A');
    const b = await newRoom(alice, 'B');
    const c = await newRoom(bob, 'C');
    const invitation = await inviteHuman(c.id, bob, alice);
    const left = await newRoom(bob, 'Left');
    await joinRoom(left.id, bob, alice);
    await post(a.id, alice, 'bump');
    const { data, response } = await listRooms({ ...alice.as });
    expect(response?.status).toBe(200);
    expect(data!.items.map((r) => r.name)).toEqual(['A', 'Left', 'C', 'B']);
    expect(data!.items.find((r) => r.id === c.id)).toMatchObject({
      actorIsParticipant: false,
      actorIsOwner: false,
      actorPendingInvitationId: invitation.id,
    });
    await leaveRoom({ path: { room_id: left.id }, ...alice.as });
    await archiveRoom({ path: { room_id: b.id }, ...alice.as });
    expect((await listRooms({ ...alice.as })).data!.items.map((r) => r.name)).toEqual(['A', 'C']);
    expect(
      (await listRooms({ query: { include_archived: true }, ...alice.as })).data!.items.map((r) => r.name),
    ).toEqual(['B', 'A', 'C']);
    expect((await listRooms({ query: { state: 'archived' }, ...alice.as })).data!.items.map((r) => r.name)).toEqual([
      'B',
    ]);
    expect(
      (await listRooms({ query: { state: 'active', include_archived: true }, ...alice.as })).data!.items.map(
        (r) => r.name,
      ),
    ).toEqual(['A', 'C']);
    expect(
      (await listRooms({ query: { include_archived: true, limit: 2, offset: 1 }, ...alice.as })).data!.items.map(
        (r) => r.name,
      ),
    ).toEqual(['A', 'C']);
    expect(
      (await listRooms({ query: { include_archived: true, limit: 2, offset: 3 }, ...alice.as })).data!.items,
    ).toEqual([]);
    for (const query of [{ limit: 0 }, { limit: 101 }, { offset: -1 }, { state: 'closed' }, { sort: 'name' }]) {
      expect((await listRooms({ query: query as never, ...alice.as })).response?.status, JSON.stringify(query)).toBe(
        422,
      );
    }
    expect((await listRooms()).response?.status).toBe(401);
  });
});

describe('getRoom', () => {
  it('shows the actor fields to participants, former participants and invitees; 404 to strangers and for unknown ids', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const eve = await newUser('Eve');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const invitation = await inviteHuman(room.id, alice, carol);
    expect((await getRoom({ path: { room_id: room.id }, ...bob.as })).data).toMatchObject({
      actorIsOwner: false,
      actorIsParticipant: true,
      actorPendingInvitationId: null,
    });
    expect((await getRoom({ path: { room_id: room.id }, ...carol.as })).data).toMatchObject({
      actorIsParticipant: false,
      actorPendingInvitationId: invitation.id,
    });
    expect(
      (await getRoom({ path: { room_id: room.id }, ...alice.as })).data!.participants.map((p) => p.displayName),
    ).toEqual(['Alice', 'Bob']);
    const stranger = await getRoom({ path: { room_id: room.id }, ...eve.as });
    expect(stranger.response?.status).toBe(404);
    expect((await getRoom({ path: { room_id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect((await getRoom({ path: { room_id: 'nope' }, ...alice.as })).response?.status).toBe(422);
    expect((await getRoom({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('archiveRoom', () => {
  it('the owner archives: pending invitations revoked, queued runs cancelled, then room.archived; idempotent; writes refused', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const pending = await inviteHuman(room.id, alice, carol);
    const listing = (await createAgentListing({ body: { name: 'Helper', model: 'gpt-4o' }, ...alice.as })).data!;
    await inviteAgent(room.id, alice, listing.id);
    await post(room.id, bob, '@helper go');
    const notOwner = await archiveRoom({ path: { room_id: room.id }, ...bob.as });
    expect(notOwner.response?.status).toBe(403);
    expect(notOwner.error).toMatchObject({ code: 'NOT_ROOM_OWNER' });
    expect((await archiveRoom({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status).toBe(
      404,
    );
    const { data, response } = await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    expect(response?.status).toBe(200);
    expect(data).toMatchObject({
      state: 'archived',
      archivedByKind: 'human',
      archivedByMembershipId: alice.user.id,
      archivedByDisplayName: 'Alice',
      archivedByRoleDocumentVersionId: null,
    });
    expect(data!.archivedAt).not.toBeNull();
    const log = await events(room.id, alice);
    expect(log.slice(-3).map((e) => e.type)).toEqual(['invitation.revoked', 'run.cancelled', 'room.archived']);
    expect(log.at(-2)).toMatchObject({ actor: { kind: 'system', membershipId: null, displayName: 'System' } });
    expect(log.at(-1)!.payload).toEqual({}); // room.archived carries no data
    expect(data!.updatedAt).toBe(log.at(-1)!.createdAt);
    // The run was cancelled before it started: no startedAt, but its terminal time; no reply, no error.
    const runId = (log.find((e) => e.type === 'run.queued')!.payload as { runId: string }).runId;
    const run = (await getRoomRun({ path: { room_id: room.id, run_id: runId }, ...alice.as })).data!;
    expect(run).toMatchObject({
      status: 'cancelled',
      startedAt: null,
      replyMessageId: null,
      error: null,
      roleDocumentVersionId: null,
    });
    expect(Date.parse(run.completedAt!)).toBeGreaterThanOrEqual(Date.parse(run.createdAt));
    expect(Date.parse(run.completedAt!)).toBeLessThanOrEqual(Date.parse(log.at(-1)!.createdAt));
    expect((await server.platform.database.knex('room_runs').where('roomId', room.id).first()).status).toBe(
      'cancelled',
    );
    expect(
      (await listRoomInvitations({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
        (i) => i.id === pending.id,
      ),
    ).toMatchObject({ status: 'revoked' });
    const again = await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    expect(again.data).toEqual(data);
    expect((await events(room.id, alice)).length).toBe(log.length);
    const refused = await createRoomInvitation({
      path: { room_id: room.id },
      body: { inviteeKind: 'human', inviteeMembershipId: null },
      ...alice.as,
    });
    expect(refused.response?.status).toBe(409);
    expect(refused.error).toMatchObject({ code: 'ROOM_ARCHIVED' });
    expect(
      (await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: null }, ...alice.as })).response
        ?.status,
    ).toBe(409);
    expect((await archiveRoom({ path: { room_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    expect((await archiveRoom({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('updateRoomRules', () => {
  it('sets and clears the rules with room.rules_changed; the same id again appends nothing; 422 for a non-rules document', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const rules = await rulesDoc(alice);
    const set = await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: rules.id }, ...alice.as });
    expect(set.response?.status).toBe(200);
    expect(set.data!.rulesDocumentId).toBe(rules.id);
    const count = (await events(room.id, alice)).length;
    expect(
      (await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: rules.id }, ...alice.as })).response
        ?.status,
    ).toBe(200);
    expect((await events(room.id, alice)).length).toBe(count);
    const cleared = await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: null }, ...alice.as });
    expect(cleared.data!.rulesDocumentId).toBeNull();
    const log = await events(room.id, alice);
    expect(log.slice(-2).map((e) => e.payload)).toEqual([
      { rulesDocumentId: rules.id, previousRulesDocumentId: null, rulesDocumentVersionId: rules.latestVersion.id },
      { rulesDocumentId: null, previousRulesDocumentId: rules.id, rulesDocumentVersionId: null },
    ]);
    const role = (await createAgentRoleDocument({ body: { displayName: 'Role', body: 'x' }, ...alice.as })).data!;
    for (const body of [{ rulesDocumentId: role.id }, { rulesDocumentId: UNKNOWN }, {}, { rulesDocumentId: 'x' }]) {
      const r = await updateRoomRules({ path: { room_id: room.id }, body: body as never, ...alice.as });
      expect(r.response?.status).toBe(422);
      expect(detailLocs(r.error)).toContainEqual(['body', 'rulesDocumentId']);
    }
    const notOwner = await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: null }, ...bob.as });
    expect(notOwner.error).toMatchObject({ code: 'NOT_ROOM_OWNER' });
    expect(
      (
        await updateRoomRules({
          path: { room_id: room.id },
          body: { rulesDocumentId: null },
          ...(
            await newUser('Eve')
          ).as,
        })
      ).response?.status,
    ).toBe(404);
    expect(
      (await updateRoomRules({ path: { room_id: room.id }, body: { rulesDocumentId: null } })).response?.status,
    ).toBe(401);
    expect(
      (
        await updateRoomRules({
          path: { room_id: room.id },
          body: { rulesDocumentId: null, pad: 'x'.repeat(1_100_000) } as never,
          ...alice.as,
        })
      ).response?.status,
    ).toBe(413);
    expect((await events(room.id, alice)).length).toBe(log.length);
  });
});

// Participants: the list (current and former), leaving, removal by the owner (cancelling an agent's runs),
// agents' roles, and deleting an agent listing making its participants leave in the same transaction.
import { describe, expect, it } from 'vitest';
import {
  acceptRoomInvitation,
  archiveRoom,
  createAgentListing,
  createAgentRoleDocument,
  createRulesDocument,
  deleteAgentListing,
  getRoom,
  leaveRoom,
  listRoomEvents,
  listRoomParticipants,
  listRooms,
  removeRoomParticipant,
  updateAgentListing,
  updateRoomAgentRole,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { inviteAgent, inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;
const log = async (roomId: string, u: TestUser) =>
  (await listRoomEvents({ path: { room_id: roomId }, query: { afterSeq: 0, limit: 100 }, ...u.as })).data!.items;

async function setup() {
  const alice = await newUser('Alice');
  const bob = await newUser('Bob');
  const room = await newRoom(alice);
  const bobInvitation = await joinRoom(room.id, alice, bob);
  const listing = (await createAgentListing({ body: { name: 'Helper', model: 'gpt-4o' }, ...alice.as })).data!;
  const agent = await inviteAgent(room.id, alice, listing.id);
  return {
    alice,
    bob,
    room,
    bobId: bobInvitation.acceptedParticipantId!,
    listing,
    agentId: agent.acceptedParticipantId!,
  };
}

describe('listRoomParticipants', () => {
  it('lists current and former participants, oldest first; former participants and invitees get 403, strangers 404', async () => {
    const { alice, bob, room } = await setup();
    const carol = await newUser('Carol');
    await inviteHuman(room.id, alice, carol);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const { data, response } = await listRoomParticipants({ path: { room_id: room.id }, ...alice.as });
    expect(response?.status).toBe(200);
    expect(data!.items.map((p) => [p.displayName, p.leftAt === null])).toEqual([
      ['Alice', true],
      ['Bob', false],
      ['Helper', true],
    ]);
    expect(
      (await getRoom({ path: { room_id: room.id }, ...alice.as })).data!.participants.map((p) => p.displayName),
    ).toEqual(['Alice', 'Helper']);
    for (const u of [bob, carol]) {
      const r = await listRoomParticipants({ path: { room_id: room.id }, ...u.as });
      expect(r.response?.status).toBe(403);
      expect(r.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    }
    expect(
      (await listRoomParticipants({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status,
    ).toBe(404);
    expect((await listRoomParticipants({ path: { room_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    expect((await listRoomParticipants({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('leaveRoom', () => {
  it('leaves (participant.left), idempotently; then cannot read or post; owner 409; invitee 403; stranger 404; allowed when archived', async () => {
    const { alice, bob, room, bobId } = await setup();
    const { data, response } = await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    expect(response?.status).toBe(200);
    expect(data).toMatchObject({ id: bobId, membershipId: bob.user.id });
    expect(data!.leftAt).not.toBeNull();
    expect(data!.updatedAt).toBe(data!.leftAt); // leaving is its latest change
    const events = await log(room.id, alice);
    expect(events.at(-1)).toMatchObject({
      type: 'participant.left',
      subject: { kind: 'participant', id: bobId },
      payload: { participantId: bobId },
      actor: { membershipId: bob.user.id },
    });
    expect((await leaveRoom({ path: { room_id: room.id }, ...bob.as })).data).toEqual(data);
    expect((await log(room.id, alice)).length).toBe(events.length);
    expect((await listRoomEvents({ path: { room_id: room.id }, ...bob.as })).response?.status).toBe(403);
    expect((await listRooms({ ...bob.as })).data!.items).toEqual([]);
    expect((await getRoom({ path: { room_id: room.id }, ...bob.as })).data!.actorIsParticipant).toBe(false);
    const owner = await leaveRoom({ path: { room_id: room.id }, ...alice.as });
    expect(owner.response?.status).toBe(409);
    expect(owner.error).toMatchObject({ code: 'OWNER_CANNOT_LEAVE' });
    const carol = await newUser('Carol');
    await inviteHuman(room.id, alice, carol);
    expect((await leaveRoom({ path: { room_id: room.id }, ...carol.as })).error).toMatchObject({
      code: 'NOT_A_PARTICIPANT',
    });
    expect((await leaveRoom({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status).toBe(404);
    expect((await leaveRoom({ path: { room_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    expect((await leaveRoom({ path: { room_id: room.id } })).response?.status).toBe(401);
    const dave = await newUser('Dave');
    await joinRoom(room.id, alice, dave);
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    expect((await leaveRoom({ path: { room_id: room.id }, ...dave.as })).response?.status).toBe(200);
  });
});

describe('removeRoomParticipant', () => {
  it("the owner removes (participant.removed), an agent's queued runs are cancelled, idempotent; owner 409; others 403", async () => {
    const { alice, bob, room, bobId, agentId } = await setup();
    await post(room.id, bob, '@helper please');
    const notOwner = await removeRoomParticipant({ path: { room_id: room.id, participant_id: agentId }, ...bob.as });
    expect(notOwner.response?.status).toBe(403);
    expect(notOwner.error).toMatchObject({ code: 'NOT_ROOM_OWNER' });
    const { data, response } = await removeRoomParticipant({
      path: { room_id: room.id, participant_id: agentId },
      ...alice.as,
    });
    expect(response?.status).toBe(200);
    expect(data!.leftAt).not.toBeNull();
    expect((await log(room.id, alice)).slice(-2).map((e) => e.type)).toEqual(['participant.removed', 'run.cancelled']);
    expect((await knex()('room_runs').where('roomId', room.id)).map((r) => r.status)).toEqual(['cancelled']);
    const count = (await log(room.id, alice)).length;
    expect(
      (await removeRoomParticipant({ path: { room_id: room.id, participant_id: agentId }, ...alice.as })).data,
    ).toEqual(data);
    expect((await log(room.id, alice)).length).toBe(count);
    const ownerId = (await getRoom({ path: { room_id: room.id }, ...alice.as })).data!.participants[0]!.id;
    const self = await removeRoomParticipant({ path: { room_id: room.id, participant_id: ownerId }, ...alice.as });
    expect(self.response?.status).toBe(409);
    expect(self.error).toMatchObject({ code: 'CANNOT_REMOVE_OWNER' });
    expect(
      (await removeRoomParticipant({ path: { room_id: room.id, participant_id: UNKNOWN }, ...alice.as })).response
        ?.status,
    ).toBe(404);
    expect(
      (await removeRoomParticipant({ path: { room_id: room.id, participant_id: 'x' }, ...alice.as })).response?.status,
    ).toBe(422);
    expect((await removeRoomParticipant({ path: { room_id: room.id, participant_id: bobId } })).response?.status).toBe(
      401,
    );
    expect(
      (await removeRoomParticipant({ path: { room_id: room.id, participant_id: bobId }, ...(await newUser('Eve')).as }))
        .response?.status,
    ).toBe(404);
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    const archived = await removeRoomParticipant({ path: { room_id: room.id, participant_id: bobId }, ...alice.as });
    expect(archived.response?.status).toBe(409);
    expect(archived.error).toMatchObject({ code: 'ROOM_ARCHIVED' });
  });
});

describe('updateRoomAgentRole', () => {
  it("changes an agent's role (participant.agent_role_changed with the version), same role no event; 409s; 422 for a non-role document", async () => {
    const { alice, bob, room, bobId, agentId } = await setup();
    const role = (await createAgentRoleDocument({ body: { displayName: 'Editor', body: 'Fix tone.' }, ...alice.as }))
      .data!;
    const before = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
      (p) => p.id === agentId,
    )!;
    const set = await updateRoomAgentRole({
      path: { room_id: room.id, participant_id: agentId },
      body: { roleDocumentId: role.id },
      ...alice.as,
    });
    expect(set.response?.status).toBe(200);
    expect(set.data!.roleDocumentId).toBe(role.id);
    expect(Date.parse(set.data!.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt)); // a role change is a change
    expect(set.data).toMatchObject({ joinedAt: before.joinedAt, createdAt: before.createdAt });
    expect((await log(room.id, alice)).at(-1)).toMatchObject({
      type: 'participant.agent_role_changed',
      payload: {
        participantId: agentId,
        roleDocumentId: role.id,
        previousRoleDocumentId: null,
        roleDocumentVersionId: role.latestVersion.id,
      },
    });
    const count = (await log(room.id, alice)).length;
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id },
          ...alice.as,
        })
      ).response?.status,
    ).toBe(200);
    expect((await log(room.id, alice)).length).toBe(count);
    const human = await updateRoomAgentRole({
      path: { room_id: room.id, participant_id: bobId },
      body: { roleDocumentId: role.id },
      ...alice.as,
    });
    expect(human.error).toMatchObject({ code: 'NOT_AN_AGENT' });
    const rules = (await createRulesDocument({ body: { displayName: 'R', body: 'x' }, ...alice.as })).data!;
    for (const body of [{ roleDocumentId: rules.id }, { roleDocumentId: UNKNOWN }, {}, { roleDocumentId: 'x' }]) {
      const r = await updateRoomAgentRole({
        path: { room_id: room.id, participant_id: agentId },
        body: body as never,
        ...alice.as,
      });
      expect(r.response?.status).toBe(422);
      expect((r.error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toContainEqual([
        'body',
        'roleDocumentId',
      ]);
    }
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id },
          ...bob.as,
        })
      ).error,
    ).toMatchObject({ code: 'NOT_ROOM_OWNER' });
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: UNKNOWN },
          body: { roleDocumentId: role.id },
          ...alice.as,
        })
      ).response?.status,
    ).toBe(404);
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id },
        })
      ).response?.status,
    ).toBe(401);
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id, pad: 'x'.repeat(1_100_000) } as never,
          ...alice.as,
        })
      ).response?.status,
    ).toBe(413);
    await removeRoomParticipant({ path: { room_id: room.id, participant_id: agentId }, ...alice.as });
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id },
          ...alice.as,
        })
      ).error,
    ).toMatchObject({ code: 'PARTICIPANT_NOT_ACTIVE' });
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    expect(
      (
        await updateRoomAgentRole({
          path: { room_id: room.id, participant_id: agentId },
          body: { roleDocumentId: role.id },
          ...alice.as,
        })
      ).error,
    ).toMatchObject({ code: 'ROOM_ARCHIVED' });
  });
});

describe('deleting an agent listing', () => {
  it('makes its participants leave (participant.left by the system, runs cancelled, agentEnabled false) and revokes its invitations', async () => {
    const { alice, bob, room, agentId, listing } = await setup();
    await post(room.id, bob, '@Helper hi');
    const other = await newRoom(bob, 'Other');
    const pending = await inviteAgent(other.id, bob, listing.id);
    expect(pending.status).toBe('pending');
    expect((await deleteAgentListing({ path: { id: listing.id }, ...alice.as })).response?.status).toBe(204);
    const participant = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
      (p) => p.id === agentId,
    )!;
    expect(participant).toMatchObject({ agentEnabled: false, displayName: 'Helper' });
    expect(participant.leftAt).not.toBeNull();
    const events = await log(room.id, alice);
    expect(events.slice(-2).map((e) => [e.type, e.actor.kind])).toEqual([
      ['participant.left', 'system'],
      ['run.cancelled', 'system'],
    ]);
    expect(events.at(-2)!.payload).toEqual({ participantId: agentId, reason: 'agent_listing_deleted' });
    expect((await log(other.id, bob)).at(-1)).toMatchObject({
      type: 'invitation.revoked',
      subject: { id: pending.id },
    });
    // The agent's past messages stay resolvable: the participant row is kept.
    await post(room.id, bob, '@Helper still there?');
    expect(await knex()('room_runs').where({ roomId: room.id, status: 'queued' })).toEqual([]);
  });
});

describe('an agent listing that becomes unavailable to the room owner', () => {
  it('leaves its participant agentEnabled false while private (mentions start no run), and true again once public', async () => {
    const alice = await newUser('Alice');
    const dave = await newUser('Dave');
    const room = await newRoom(alice);
    const theirs = (await createAgentListing({ body: { name: 'Theirs', model: 'gpt-4o' }, ...dave.as })).data!;
    const mine = (await createAgentListing({ body: { name: 'Mine', model: 'gpt-4o', isPublic: false }, ...alice.as }))
      .data!;
    const invitation = await inviteAgent(room.id, alice, theirs.id);
    const accepted = await acceptRoomInvitation({
      path: { room_id: room.id, invitation_id: invitation.id },
      ...dave.as,
    });
    const theirsId = accepted.data!.acceptedParticipantId!;
    const mineId = (await inviteAgent(room.id, alice, mine.id)).acceptedParticipantId!;
    const enabled = async () =>
      Object.fromEntries(
        (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as }))
          .data!.items.filter((p) => p.participantKind === 'agent')
          .map((p) => [p.id, p.agentEnabled]),
      );
    expect(await enabled()).toEqual({ [theirsId]: true, [mineId]: true });

    await updateAgentListing({ path: { id: theirs.id }, body: { isPublic: false }, ...dave.as });
    expect(await enabled()).toEqual({ [theirsId]: false, [mineId]: true }); // Alice can no longer use Dave's agent; her own private one stays
    await post(room.id, alice, '@Theirs and @Mine, anyone?');
    expect((await knex()('room_runs').where('roomId', room.id)).map((r) => r.participantId)).toEqual([mineId]);

    await updateAgentListing({ path: { id: theirs.id }, body: { isPublic: true }, ...dave.as });
    expect(await enabled()).toEqual({ [theirsId]: true, [mineId]: true });
    await post(room.id, alice, '@Theirs again');
    expect((await knex()('room_runs').where('roomId', room.id)).map((r) => r.participantId).sort()).toEqual(
      [mineId, theirsId].sort(),
    );
  });
});

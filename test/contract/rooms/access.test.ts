// Who may call: the owner, a participant, a former participant, a pending invitee, the owner of an agent in
// the room (not a participant themselves) and a stranger, tried against every room operation. A stranger (and
// anyone who cannot see the room) always gets 404, never a hint that the room exists.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  acceptRoomInvitation,
  archiveRoom,
  createAgentListing,
  createAgentRoleDocument,
  createRoomInvitation,
  deleteRoomMessage,
  editRoomMessage,
  getRoom,
  leaveRoom,
  listRoomEvents,
  listRoomInvitations,
  listRoomInviteCandidates,
  listRoomParticipants,
  listRoomTimeline,
  lookupRoomInvitee,
  postRoomMessage,
  removeRoomParticipant,
  updateRoomAgentRole,
  updateRoomRules,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { inviteAgent, inviteHuman, joinRoom, newRoom, post } from '../../helpers/rooms.js';

useTestServer();

type Role = 'owner' | 'participant' | 'former' | 'invitee' | 'agentOwner' | 'stranger';
const ROLES: Role[] = ['owner', 'participant', 'former', 'invitee', 'agentOwner', 'stranger'];
type Call = (u: TestUser) => Promise<{ response?: Response; error?: unknown }>;

describe('who may call each room operation', () => {
  it('answers each kind of caller as the contract says', async () => {
    const users: Record<Role, TestUser> = {
      owner: await newUser('Owner'),
      participant: await newUser('Part'),
      former: await newUser('Former'),
      invitee: await newUser('Invitee'),
      agentOwner: await newUser('AgentOwner'),
      stranger: await newUser('Stranger'),
    };
    const room = await newRoom(users.owner);
    const participant = await joinRoom(room.id, users.owner, users.participant);
    await joinRoom(room.id, users.owner, users.former);
    await leaveRoom({ path: { room_id: room.id }, ...users.former.as });
    const invitation = await inviteHuman(room.id, users.owner, users.invitee);
    const listing = (await createAgentListing({ body: { name: 'Their bot', model: 'gpt-4o' }, ...users.agentOwner.as }))
      .data!;
    const agentInvitation = await inviteAgent(room.id, users.owner, listing.id);
    const agentAccepted = await acceptRoomInvitation({
      path: { room_id: room.id, invitation_id: agentInvitation.id },
      ...users.agentOwner.as,
    });
    const agentId = agentAccepted.data!.acceptedParticipantId!;
    const role = (await createAgentRoleDocument({ body: { displayName: 'Role', body: 'x' }, ...users.owner.as })).data!;
    const room_id = room.id;
    const byParticipant = async () => (await post(room_id, users.participant, 'mine')).id;

    const read = { owner: 200, participant: 200, former: 403, invitee: 403, agentOwner: 404, stranger: 404 };
    const table: Array<[string, Call, Record<Role, number>]> = [
      [
        'getRoom',
        (u) => getRoom({ path: { room_id }, ...u.as }),
        { owner: 200, participant: 200, former: 200, invitee: 200, agentOwner: 404, stranger: 404 },
      ],
      ['listRoomParticipants', (u) => listRoomParticipants({ path: { room_id }, ...u.as }), read],
      ['listRoomInvitations', (u) => listRoomInvitations({ path: { room_id }, ...u.as }), read],
      ['listRoomInviteCandidates', (u) => listRoomInviteCandidates({ path: { room_id }, ...u.as }), read],
      [
        'lookupRoomInvitee',
        (u) => lookupRoomInvitee({ path: { room_id }, body: { email: users.stranger.user.email }, ...u.as }),
        read,
      ],
      ['listRoomEvents', (u) => listRoomEvents({ path: { room_id }, ...u.as }), read],
      ['listRoomTimeline', (u) => listRoomTimeline({ path: { room_id }, ...u.as }), read],
      [
        'postRoomMessage',
        (u) => postRoomMessage({ path: { room_id }, body: { body: 'hi', idempotencyKey: randomUUID() }, ...u.as }),
        { ...read, owner: 201, participant: 201 },
      ],
      [
        'editRoomMessage',
        async (u) =>
          editRoomMessage({
            path: { room_id, message_id: await byParticipant() },
            body: { body: 'x', idempotencyKey: randomUUID() },
            ...u.as,
          }),
        { ...read, owner: 403 },
      ],
      [
        'deleteRoomMessage',
        async (u) => deleteRoomMessage({ path: { room_id, message_id: await byParticipant() }, ...u.as }),
        read,
      ],
      [
        'createRoomInvitation',
        (u) => createRoomInvitation({ path: { room_id }, body: { inviteeKind: 'human' }, ...u.as }),
        { ...read, owner: 201, participant: 201 },
      ],
      [
        'updateRoomRules',
        (u) => updateRoomRules({ path: { room_id }, body: { rulesDocumentId: null }, ...u.as }),
        { owner: 200, participant: 403, former: 403, invitee: 403, agentOwner: 404, stranger: 404 },
      ],
      [
        'updateRoomAgentRole',
        (u) =>
          updateRoomAgentRole({
            path: { room_id, participant_id: agentId },
            body: { roleDocumentId: role.id },
            ...u.as,
          }),
        { owner: 200, participant: 403, former: 403, invitee: 403, agentOwner: 404, stranger: 404 },
      ],
      [
        'removeRoomParticipant',
        (u) => removeRoomParticipant({ path: { room_id, participant_id: agentId }, ...u.as }),
        { owner: 200, participant: 403, former: 403, invitee: 403, agentOwner: 404, stranger: 404 },
      ],
      [
        'leaveRoom',
        (u) => leaveRoom({ path: { room_id }, ...u.as }),
        { owner: 409, participant: 200, former: 200, invitee: 403, agentOwner: 404, stranger: 404 },
      ],
      [
        'acceptRoomInvitation',
        (u) => acceptRoomInvitation({ path: { room_id, invitation_id: invitation.id }, ...u.as }),
        { owner: 403, participant: 403, former: 403, invitee: 200, agentOwner: 404, stranger: 404 },
      ],
      [
        'archiveRoom',
        (u) => archiveRoom({ path: { room_id }, ...u.as }),
        { owner: 200, participant: 403, former: 403, invitee: 403, agentOwner: 404, stranger: 404 },
      ],
    ];
    const got: Record<string, Record<string, number | undefined>> = {};
    const want: Record<string, Record<string, number>> = {};
    for (const [name, call, expected] of table) {
      got[name] = {};
      want[name] = expected;
      // A role whose call succeeds goes after the refusals (a successful leave or accept changes the role), and
      // the rows that change membership come last: leave, then the invitee's accept, then archive.
      const order = [...ROLES].sort((a, b) => Number(expected[a] < 300) - Number(expected[b] < 300));
      for (const r of order) {
        const result = await call(users[r]);
        got[name]![r] = result.response?.status;
        if (result.response?.status === 404) expect((result.error as { code: string }).code).toBe('NOT_FOUND');
      }
    }
    expect(got).toEqual(want);
    expect(participant.acceptedParticipantId).toBeTruthy();
  }, 60_000);
});

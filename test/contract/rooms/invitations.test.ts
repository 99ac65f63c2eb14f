// Invitations: humans (named, open), agents (own listing accepted at once, another's accepted by its owner),
// the rules of creation, accepting (idempotent, expired, revoked, open taken), concurrent accepts, revoking
// (owner, creator, who may not), what a membership's end revokes and that a former participant comes back only
// through an invitation created after it, whom to invite (candidates) and finding a person by exact email.
import { describe, expect, it } from 'vitest';
import {
  acceptRoomInvitation,
  archiveRoom,
  createAgentListing,
  createAgentRoleDocument,
  createDocumentVersion,
  createRoomInvitation,
  createRulesDocument,
  getRoom,
  leaveRoom,
  createPlatformClient,
  listRoomEvents,
  listRoomInvitations,
  listRoomInviteCandidates,
  listRoomParticipants,
  listRooms,
  lookupRoomInvitee,
  removeRoomParticipant,
  revokeRoomInvitation,
  type RoomEvent,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { startTestServer, useTestServer, watchClient } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { inviteAgent, inviteHuman, joinRoom, newRoom, UNKNOWN } from '../../helpers/rooms.js';

const clock = new ManualClock(new Date('2026-03-10T09:00:00Z'));
useTestServer({}, { clock });
const DAY = 24 * 3600 * 1000;
const detailLocs = (error: unknown) => (error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc);
const types = async (roomId: string, u: TestUser) =>
  (await listRoomEvents({ path: { room_id: roomId }, query: { afterSeq: 0, limit: 100 }, ...u.as })).data!.items.map(
    (e) => e.type,
  );
const accept = (roomId: string, invitationId: string, u: TestUser) =>
  acceptRoomInvitation({ path: { room_id: roomId, invitation_id: invitationId }, ...u.as });

describe('createRoomInvitation', () => {
  it('invites a human (201 pending, expires in 7 days, invitation.created); they accept (200) and join', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    const { data, response } = await createRoomInvitation({
      path: { room_id: room.id },
      body: { inviteeKind: 'human', inviteeMembershipId: bob.user.id },
      ...alice.as,
    });
    expect(response?.status).toBe(201);
    expect(data).toMatchObject({
      status: 'pending',
      inviteeKind: 'human',
      inviteeMembershipId: bob.user.id,
      invitedByMembershipId: alice.user.id,
      roleDocumentId: null,
      acceptedParticipantId: null,
      respondedAt: null,
    });
    expect(new Date(data!.expiresAt).getTime() - new Date(data!.createdAt).getTime()).toBe(7 * DAY);
    clock.advance(1000);
    const accepted = await accept(room.id, data!.id, bob);
    expect(accepted.response?.status).toBe(200);
    expect(accepted.data).toMatchObject({ status: 'accepted', acceptedParticipantId: expect.any(String) });
    // Answered now: respondedAt set; expiresAt kept as it was.
    expect(accepted.data).toMatchObject({
      respondedAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
      expiresAt: data!.expiresAt,
      createdAt: data!.createdAt,
    });
    const again = await accept(room.id, data!.id, bob);
    expect(again.data).toEqual(accepted.data);
    expect((await types(room.id, alice)).slice(2)).toEqual([
      'invitation.created',
      'invitation.accepted',
      'participant.joined',
    ]);
    expect((await getRoom({ path: { room_id: room.id }, ...bob.as })).data).toMatchObject({
      actorIsParticipant: true,
      actorPendingInvitationId: null,
    });
  });

  it("an agent: the owner of the listing is accepted at creation; another owner's public listing waits for its owner", async () => {
    const alice = await newUser('Alice');
    const dave = await newUser('Dave');
    const room = await newRoom(alice);
    const role = (
      await createAgentRoleDocument({ body: { displayName: 'Analyst', body: 'Cite sources.' }, ...alice.as })
    ).data!;
    const own = (await createAgentListing({ body: { name: 'Mine', model: 'gpt-4o' }, ...alice.as })).data!;
    const mine = await inviteAgent(room.id, alice, own.id, role.id);
    expect(mine).toMatchObject({
      status: 'accepted',
      roleDocumentId: role.id,
      inviteeKind: 'agent',
      respondedAt: mine.createdAt,
    });
    const participants = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items;
    expect(participants.find((p) => p.id === mine.acceptedParticipantId)).toMatchObject({
      participantKind: 'agent',
      membershipId: own.id,
      displayName: 'Mine',
      agentEnabled: true,
      roleDocumentId: role.id,
    });
    const theirs = (await createAgentListing({ body: { name: 'Theirs', model: 'gpt-4o' }, ...dave.as })).data!;
    const pending = await inviteAgent(room.id, alice, theirs.id);
    expect(pending.status).toBe('pending');
    // Dave (the listing's owner, not a participant) sees the room through the invitation, and accepts it.
    expect((await listRooms({ ...dave.as })).data!.items.map((r) => r.actorPendingInvitationId)).toEqual([pending.id]);
    expect((await getRoom({ path: { room_id: room.id }, ...dave.as })).response?.status).toBe(200);
    const byAlice = await accept(room.id, pending.id, alice);
    expect(byAlice.response?.status).toBe(403);
    expect(byAlice.error).toMatchObject({ code: 'NOT_INVITEE' });
    const byDave = await accept(room.id, pending.id, dave);
    expect(byDave.data).toMatchObject({ status: 'accepted' });
    expect((await accept(room.id, pending.id, dave)).data).toEqual(byDave.data);
    const joined = (await listRoomEvents({ path: { room_id: room.id }, ...alice.as })).data!.items.filter(
      (e) => e.type === 'participant.joined',
    );
    expect(joined.find((e) => e.subject.id === mine.acceptedParticipantId)!.payload).toMatchObject({
      roleDocumentId: role.id,
      roleDocumentVersionId: role.latestVersion.id,
    });
  });

  it('enforces who and what: 403 for agents by non-owners and for non-participants, 409 already in or invited, 422 bad references', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const listing = (await createAgentListing({ body: { name: 'Bot', model: 'gpt-4o' }, ...bob.as })).data!;
    const hidden = (
      await createAgentListing({ body: { name: 'Hidden', model: 'gpt-4o', isPublic: false }, ...carol.as })
    ).data!;
    const rules = (await createRulesDocument({ body: { displayName: 'R', body: 'x' }, ...alice.as })).data!;
    const call = (u: TestUser, body: object) =>
      createRoomInvitation({ path: { room_id: room.id }, body: body as never, ...u.as });
    const agentByBob = await call(bob, { inviteeKind: 'agent', inviteeMembershipId: listing.id });
    expect(agentByBob.response?.status).toBe(403);
    expect(agentByBob.error).toMatchObject({ code: 'NOT_ROOM_OWNER' });
    expect((await call(bob, { inviteeKind: 'human', inviteeMembershipId: alice.user.id })).error).toMatchObject({
      code: 'ALREADY_PARTICIPANT',
    });
    await call(bob, { inviteeKind: 'human', inviteeMembershipId: carol.user.id });
    expect((await call(alice, { inviteeKind: 'human', inviteeMembershipId: carol.user.id })).error).toMatchObject({
      code: 'ALREADY_INVITED',
    });
    const pendingCarol = await call(carol, { inviteeKind: 'human', inviteeMembershipId: null });
    expect(pendingCarol.response?.status).toBe(403);
    expect(pendingCarol.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    expect((await call(await newUser('Eve'), { inviteeKind: 'human' })).response?.status).toBe(404);
    for (const [body, loc] of [
      [{ inviteeKind: 'robot' }, ['body', 'inviteeKind']],
      [{ inviteeKind: 'human', inviteeMembershipId: UNKNOWN }, ['body', 'inviteeMembershipId']],
      [{ inviteeKind: 'human', roleDocumentId: rules.id }, ['body', 'roleDocumentId']],
      [{ inviteeKind: 'agent' }, ['body', 'inviteeMembershipId']],
      [{ inviteeKind: 'agent', inviteeMembershipId: hidden.id }, ['body', 'inviteeMembershipId']],
      [{ inviteeKind: 'agent', inviteeMembershipId: listing.id, roleDocumentId: rules.id }, ['body', 'roleDocumentId']],
      [{ inviteeKind: 'human', extra: true }, ['body', 'extra']],
    ] as const) {
      const r = await call(alice, body);
      expect(r.response?.status, JSON.stringify(body)).toBe(422);
      expect(detailLocs(r.error)).toContainEqual(loc);
    }
    expect((await call(alice, { inviteeKind: 'human', pad: 'x'.repeat(1_100_000) })).response?.status).toBe(413);
    expect(
      (await createRoomInvitation({ path: { room_id: room.id }, body: { inviteeKind: 'human' } })).response?.status,
    ).toBe(401);
    // Bob's accepted invitation and his invitation of Carol: none of the refused calls wrote one.
    expect((await listRoomInvitations({ path: { room_id: room.id }, ...alice.as })).data!.items).toHaveLength(2);
  });
});

describe('acceptRoomInvitation', () => {
  it('an open invitation: the first user to accept joins; anyone else then gets 409 INVITATION_ALREADY_ACCEPTED', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const room = await newRoom(alice);
    const open = await inviteHuman(room.id, alice, null);
    expect(open.inviteeMembershipId).toBeNull();
    const self = await accept(room.id, open.id, alice);
    expect(self.error).toMatchObject({ code: 'ALREADY_PARTICIPANT' });
    expect((await accept(room.id, open.id, bob)).data).toMatchObject({ status: 'accepted' });
    expect((await accept(room.id, open.id, bob)).response?.status).toBe(200);
    const late = await accept(room.id, open.id, carol);
    expect(late.response?.status).toBe(409);
    expect(late.error).toMatchObject({ code: 'INVITATION_ALREADY_ACCEPTED' });
  });

  it('refuses expired (409 INVITATION_EXPIRED, listed as expired) and revoked invitations; 403 NOT_INVITEE; 404 strangers', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, carol);
    const invitation = await inviteHuman(room.id, alice, bob);
    expect((await accept(room.id, invitation.id, carol)).error).toMatchObject({ code: 'NOT_INVITEE' });
    expect((await accept(room.id, invitation.id, await newUser('Eve'))).response?.status).toBe(404);
    expect((await accept(room.id, UNKNOWN, alice)).response?.status).toBe(404);
    expect(
      (await acceptRoomInvitation({ path: { room_id: room.id, invitation_id: 'x' }, ...bob.as })).response?.status,
    ).toBe(422);
    expect(
      (await acceptRoomInvitation({ path: { room_id: room.id, invitation_id: invitation.id } })).response?.status,
    ).toBe(401);
    clock.advance(7 * DAY);
    const expired = await accept(room.id, invitation.id, bob);
    expect(expired.response?.status).toBe(409);
    expect(expired.error).toMatchObject({ code: 'INVITATION_EXPIRED' });
    expect(
      (await listRoomInvitations({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
        (i) => i.id === invitation.id,
      ),
    ).toMatchObject({
      status: 'expired',
      inviteeDisplayName: 'Bob',
      respondedAt: null,
      expiresAt: invitation.expiresAt,
    });
    // An expired invitation no longer shows the room, and a new one can be sent.
    expect((await getRoom({ path: { room_id: room.id }, ...bob.as })).response?.status).toBe(404);
    const fresh = await inviteHuman(room.id, alice, bob);
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    const revoked = await accept(room.id, fresh.id, bob);
    expect(revoked.response?.status).toBe(409);
    expect(revoked.error).toMatchObject({ code: 'INVITATION_REVOKED' });
    expect(
      (await listRoomInvitations({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
        (i) => i.id === fresh.id,
      ),
    ).toMatchObject({ status: 'revoked', respondedAt: clock.now().toISOString(), expiresAt: fresh.expiresAt });
  });

  it('a former participant rejoins as the same participant; 10 concurrent accepts make one participant', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    const first = await joinRoom(room.id, alice, bob);
    const joinedFirst = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
      (p) => p.id === first.acceptedParticipantId,
    )!;
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const second = await inviteHuman(room.id, alice, bob);
    clock.advance(60_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => accept(room.id, second.id, bob)));
    expect(results.map((r) => r.response?.status)).toEqual(Array(10).fill(200));
    expect(new Set(results.map((r) => JSON.stringify(r.data))).size).toBe(1);
    expect(results[0]!.data!.acceptedParticipantId).toBe(first.acceptedParticipantId);
    const participants = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items;
    expect(participants.filter((p) => p.membershipId === bob.user.id)).toMatchObject([{ leftAt: null }]);
    // The same participant: created when first joined, joinedAt the new join, changed then.
    expect(participants.find((p) => p.membershipId === bob.user.id)).toMatchObject({
      id: joinedFirst.id,
      createdAt: joinedFirst.createdAt,
      joinedAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    });
    expect(joinedFirst.joinedAt).toBe(joinedFirst.createdAt);
    const log = await types(room.id, alice);
    expect(log.filter((t) => t === 'invitation.accepted')).toHaveLength(2);
    expect(log.filter((t) => t === 'participant.joined')).toHaveLength(3);
    // Removed participants need a new invitation too, and come back the same way.
    await removeRoomParticipant({
      path: { room_id: room.id, participant_id: first.acceptedParticipantId! },
      ...alice.as,
    });
    expect((await accept(room.id, second.id, bob)).response?.status).toBe(200);
    expect((await getRoom({ path: { room_id: room.id }, ...bob.as })).data!.actorIsParticipant).toBe(false);
  });
});

describe('listRoomInvitations', () => {
  it("lists every invitation newest first with the invitee's current name; current participants only", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    const a = await inviteHuman(room.id, alice, bob);
    clock.advance(1000);
    const b = await inviteHuman(room.id, alice, null);
    const { data, response } = await listRoomInvitations({ path: { room_id: room.id }, ...alice.as });
    expect(response?.status).toBe(200);
    expect(data!.items.map((i) => [i.id, i.inviteeDisplayName, i.inviteeProfilePictureUrl])).toEqual([
      [b.id, null, null],
      [a.id, 'Bob', null],
    ]);
    const invitee = await listRoomInvitations({ path: { room_id: room.id }, ...bob.as });
    expect(invitee.response?.status).toBe(403);
    expect(invitee.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    expect(
      (await listRoomInvitations({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status,
    ).toBe(404);
    expect((await listRoomInvitations({ path: { room_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    expect((await listRoomInvitations({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('listRoomInviteCandidates and lookupRoomInvitee', () => {
  it('suggests people sharing another room and usable agents; a new user finds someone only by exact email', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const other = await newRoom(alice, 'Other');
    await joinRoom(other.id, alice, bob);
    const room = await newRoom(alice, 'Here');
    const listing = (
      await createAgentListing({
        body: { name: 'Zed bot', model: 'gpt-4o', isPublic: false, description: 'Answers in haiku' },
        ...alice.as,
      })
    ).data!;
    const plain = (
      await createAgentListing({ body: { name: 'Zed plain', model: 'gpt-4o', isPublic: false }, ...alice.as })
    ).data!;
    // Zed bot was in Alice's other room with a role (now at version 2): suggested with that role.
    const role = (await createAgentRoleDocument({ body: { displayName: 'Poet', body: 'v1' }, ...alice.as })).data!;
    await inviteAgent(other.id, alice, listing.id, role.id);
    await createDocumentVersion({ path: { document_id: role.id }, body: { body: 'v2' }, ...alice.as });
    const { data, response } = await listRoomInviteCandidates({ path: { room_id: room.id }, ...alice.as });
    expect(response?.status).toBe(200);
    const humans = data!.items.filter((c) => c.kind === 'human');
    expect(humans).toEqual([
      {
        description: null,
        displayName: 'Bob',
        kind: 'human',
        membershipId: bob.user.id,
        profilePictureUrl: null,
        roleDocumentId: null,
        status: 'available',
        userId: bob.user.id,
        version: null,
      },
    ]);
    expect(data!.items.find((c) => c.membershipId === listing.id)).toMatchObject({
      kind: 'agent',
      userId: alice.user.id,
      status: 'available',
      description: 'Answers in haiku',
      roleDocumentId: role.id,
      version: 2,
      profilePictureUrl: null,
    });
    expect(data!.items.find((c) => c.membershipId === plain.id)).toMatchObject({
      kind: 'agent',
      description: null,
      roleDocumentId: null,
      version: null,
    });
    // The role of the last time only: joined since without a role, Zed bot is suggested without one.
    const third = await newRoom(alice, 'Third');
    clock.advance(1000);
    await inviteAgent(third.id, alice, listing.id, null);
    expect(
      (await listRoomInviteCandidates({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
        (c) => c.membershipId === listing.id,
      ),
    ).toMatchObject({ roleDocumentId: null, version: null });
    expect(data!.items.findIndex((c) => c.kind === 'agent')).toBe(1);
    await inviteHuman(room.id, alice, bob);
    expect(
      (await listRoomInviteCandidates({ path: { room_id: room.id }, ...alice.as })).data!.items.find(
        (c) => c.membershipId === bob.user.id,
      )!.status,
    ).toBe('invited');
    // Carol shares no room with Alice: never suggested, but found by her exact address (any case).
    expect(data!.items.some((c) => c.membershipId === carol.user.id)).toBe(false);
    const found = await lookupRoomInvitee({
      path: { room_id: room.id },
      body: { email: carol.user.email.toUpperCase() },
      ...alice.as,
    });
    expect(found.response?.status).toBe(200);
    expect(found.data).toMatchObject({
      kind: 'human',
      membershipId: carol.user.id,
      displayName: 'Carol',
      status: 'available',
    });
    const nobody = await lookupRoomInvitee({
      path: { room_id: room.id },
      body: { email: 'nobody@example.com' },
      ...alice.as,
    });
    expect(nobody.response?.status).toBe(404);
    expect(nobody.error).toMatchObject({ code: 'INVITEE_NOT_FOUND' });
    const partial = await lookupRoomInvitee({
      path: { room_id: room.id },
      body: { email: carol.user.email.slice(0, 5) },
      ...alice.as,
    });
    expect(partial.response?.status).toBe(422);
    expect(
      (await lookupRoomInvitee({ path: { room_id: room.id }, body: { email: alice.user.email }, ...alice.as })).error,
    ).toMatchObject({ code: 'ALREADY_PARTICIPANT' });
    expect(
      (await lookupRoomInvitee({ path: { room_id: room.id }, body: { email: bob.user.email }, ...alice.as })).data!
        .status,
    ).toBe('invited');
    for (const call of [
      () => listRoomInviteCandidates({ path: { room_id: room.id }, ...bob.as }),
      () => lookupRoomInvitee({ path: { room_id: room.id }, body: { email: carol.user.email }, ...bob.as }),
    ]) {
      const r = await call();
      expect(r.response?.status).toBe(403);
      expect(r.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    }
    expect(
      (await lookupRoomInvitee({ path: { room_id: room.id }, body: { email: carol.user.email }, ...carol.as })).response
        ?.status,
    ).toBe(404);
    expect(
      (await lookupRoomInvitee({ path: { room_id: room.id }, body: { email: carol.user.email } })).response?.status,
    ).toBe(401);
    expect(
      (
        await lookupRoomInvitee({
          path: { room_id: room.id },
          body: { email: 'a@b.co', pad: 'x'.repeat(1_100_000) } as never,
          ...alice.as,
        })
      ).response?.status,
    ).toBe(413);
    expect((await listRoomInviteCandidates({ path: { room_id: 'x' }, ...alice.as })).response?.status).toBe(422);
    expect((await listRoomInviteCandidates({ path: { room_id: room.id } })).response?.status).toBe(401);
    expect((await listRoomInviteCandidates({ path: { room_id: room.id }, ...carol.as })).response?.status).toBe(404);
  });

  it('refused lookups are limited per IP (429 with Retry-After)', async () => {
    const limited = await startTestServer({
      rateLimits: {
        signUpPerIp: 1000,
        signInPerIp: 1000,
        signInFailuresPerEmailAndIp: 1000,
        inviteeLookupFailuresPerIp: 2,
      },
    });
    try {
      const c = createPlatformClient({ baseUrl: limited.baseUrl });
      watchClient(c);
      const alice = await newUser('Alice', { client: c });
      const room = await newRoom(alice);
      const statuses: Array<number | undefined> = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await lookupRoomInvitee({
              path: { room_id: room.id },
              body: { email: `nobody${i}@example.com` },
              ...alice.as,
            })
          ).response?.status,
        );
      expect(statuses).toEqual([404, 404, 429]);
      const blocked = await lookupRoomInvitee({
        path: { room_id: room.id },
        body: { email: alice.user.email },
        ...alice.as,
      });
      expect(blocked.response?.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.stop();
    }
  });
});

describe('a membership that ends ends what it allowed', () => {
  const _revoke = (roomId: string, invitationId: string, u?: TestUser) =>
    revokeRoomInvitation({ path: { room_id: roomId, invitation_id: invitationId }, ...u?.as });
  const events = async (roomId: string, u: TestUser): Promise<RoomEvent[]> =>
    (await listRoomEvents({ path: { room_id: roomId }, query: { afterSeq: 0, limit: 100 }, ...u.as })).data!.items;
  const statusOf = async (roomId: string, invitationId: string, u: TestUser) =>
    (await listRoomInvitations({ path: { room_id: roomId }, ...u.as })).data!.items.find((i) => i.id === invitationId)!
      .status;

  it('a removed participant cannot come back through the open invitation they created while in the room (it is revoked)', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const dave = await newUser('Dave');
    const room = await newRoom(alice);
    const joined = await joinRoom(room.id, alice, bob);
    const own = await inviteHuman(room.id, bob, null);
    const forDave = await inviteHuman(room.id, bob, dave);
    await removeRoomParticipant({
      path: { room_id: room.id, participant_id: joined.acceptedParticipantId! },
      ...alice.as,
    });
    const back = await accept(room.id, own.id, bob);
    expect(back.response?.status).toBe(409);
    expect(back.error).toMatchObject({ code: 'INVITATION_REVOKED' });
    expect(
      (await listRoomEvents({ path: { room_id: room.id }, query: { afterSeq: 0 }, ...bob.as })).response?.status,
    ).toBe(403);
    // Everything Bob granted and nobody used ends with his membership: after participant.removed, by the owner.
    expect((await accept(room.id, forDave.id, dave)).error).toMatchObject({ code: 'INVITATION_REVOKED' });
    const log = await events(room.id, alice);
    const removedAt = log.findIndex((e) => e.type === 'participant.removed');
    expect(
      log.slice(removedAt).map((e) => [e.type, e.subject.id, e.payload.reason ?? null, e.actor.membershipId]),
    ).toEqual([
      ['participant.removed', joined.acceptedParticipantId, null, alice.user.id],
      ['invitation.revoked', own.id, 'inviter_removed', alice.user.id],
      ['invitation.revoked', forDave.id, 'inviter_removed', alice.user.id],
    ]);
    expect([await statusOf(room.id, own.id, alice), await statusOf(room.id, forDave.id, alice)]).toEqual([
      'revoked',
      'revoked',
    ]);
  });

  it('nor through any invitation created before the removal; one created after it, by someone who may invite, brings them back', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const carol = await newUser('Carol');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, carol);
    const joined = await joinRoom(room.id, alice, bob);
    const before = await inviteHuman(room.id, alice, null); // open, shared while Bob was in the room
    await removeRoomParticipant({
      path: { room_id: room.id, participant_id: joined.acceptedParticipantId! },
      ...alice.as,
    });
    const old = await accept(room.id, before.id, bob);
    expect(old.response?.status).toBe(403);
    expect(old.error).toMatchObject({ code: 'NOT_INVITEE' });
    expect(await statusOf(room.id, before.id, alice)).toBe('pending'); // still good for someone else
    const after = await inviteHuman(room.id, carol, bob);
    const rejoined = await accept(room.id, after.id, bob);
    expect(rejoined.response?.status).toBe(200);
    expect(rejoined.data!.acceptedParticipantId).toBe(joined.acceptedParticipantId);
    expect(
      (await listRoomEvents({ path: { room_id: room.id }, query: { afterSeq: 0 }, ...bob.as })).response?.status,
    ).toBe(200);
    // Back in, an invitation accepted earlier (the idempotent replay) and the old open one still change nothing.
    expect((await accept(room.id, joined.id, bob)).data).toMatchObject({ status: 'accepted' });
    expect((await accept(room.id, before.id, bob)).error).toMatchObject({ code: 'ALREADY_PARTICIPANT' });
  });

  it('leaving revokes the pending invitations the leaver created (reason inviter_left), and only theirs', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const dave = await newUser('Dave');
    const eve = await newUser('Eve');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const open = await inviteHuman(room.id, bob, null);
    const forDave = await inviteHuman(room.id, bob, dave);
    const forEve = await inviteHuman(room.id, alice, eve);
    const aliceOpen = await inviteHuman(room.id, alice, null);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    expect((await accept(room.id, forDave.id, dave)).error).toMatchObject({ code: 'INVITATION_REVOKED' });
    expect((await accept(room.id, open.id, bob)).error).toMatchObject({ code: 'INVITATION_REVOKED' });
    expect((await accept(room.id, aliceOpen.id, bob)).error).toMatchObject({ code: 'NOT_INVITEE' });
    const log = await events(room.id, alice);
    expect(log.slice(-3).map((e) => [e.type, e.subject.id, e.payload.reason ?? null, e.actor.membershipId])).toEqual([
      ['participant.left', expect.any(String), null, bob.user.id],
      ['invitation.revoked', open.id, 'inviter_left', bob.user.id],
      ['invitation.revoked', forDave.id, 'inviter_left', bob.user.id],
    ]);
    expect(log.at(-1)!.render.fallbackText).toBe('An invitation was revoked: Bob left the room');
    expect((await accept(room.id, forEve.id, eve)).response?.status).toBe(200);
  });
});

describe('revokeRoomInvitation', () => {
  const revoke = (roomId: string, invitationId: string, u?: TestUser) =>
    revokeRoomInvitation({ path: { room_id: roomId, invitation_id: invitationId }, ...u?.as });

  it('the owner revokes any pending invitation (200 revoked, invitation.revoked); accepting it is then 409 INVITATION_REVOKED; again changes nothing', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const dave = await newUser('Dave');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const invitation = await inviteHuman(room.id, bob, dave);
    expect((await getRoom({ path: { room_id: room.id }, ...dave.as })).response?.status).toBe(200);
    clock.advance(1000);
    const { data, response } = await revoke(room.id, invitation.id, alice);
    expect(response?.status).toBe(200);
    expect(data).toEqual({
      ...invitation,
      status: 'revoked',
      respondedAt: clock.now().toISOString(),
      updatedAt: clock.now().toISOString(),
    });
    const [last] = (await types(room.id, alice)).slice(-1);
    expect(last).toBe('invitation.revoked');
    const event = (
      await listRoomEvents({ path: { room_id: room.id }, query: { afterSeq: 0, limit: 100 }, ...alice.as })
    ).data!.items.at(-1)!;
    expect(event).toMatchObject({
      subject: { kind: 'invitation', id: invitation.id },
      payload: { invitationId: invitation.id, reason: 'manual' },
      actor: { membershipId: alice.user.id },
    });
    const refused = await accept(room.id, invitation.id, dave);
    expect(refused.response?.status).toBe(409);
    expect(refused.error).toMatchObject({ code: 'INVITATION_REVOKED' });
    expect((await getRoom({ path: { room_id: room.id }, ...dave.as })).response?.status).toBe(404); // the room is gone from Dave's view
    const count = (await types(room.id, alice)).length;
    clock.advance(1000);
    const again = await revoke(room.id, invitation.id, alice);
    expect(again.response?.status).toBe(200);
    expect(again.data).toEqual(data);
    expect((await types(room.id, alice)).length).toBe(count);
  });

  it('its creator revokes their own; another participant 403 NOT_INVITATION_CREATOR; former participants and invitees 403 NOT_A_PARTICIPANT; strangers 404', async () => {
    const alice = await newUser('Alice');
    const [bob, carol, dave, frank] = [
      await newUser('Bob'),
      await newUser('Carol'),
      await newUser('Dave'),
      await newUser('Frank'),
    ];
    const room = await newRoom(alice);
    const other = await newRoom(alice, 'Other');
    await joinRoom(room.id, alice, bob);
    await joinRoom(room.id, alice, carol);
    await joinRoom(room.id, alice, frank);
    await leaveRoom({ path: { room_id: room.id }, ...frank.as });
    const byBob = await inviteHuman(room.id, bob, dave);
    const byAlice = await inviteHuman(room.id, alice, null);
    const elsewhere = await inviteHuman(other.id, alice, null);
    const byCarol = await revoke(room.id, byBob.id, carol);
    expect(byCarol.response?.status).toBe(403);
    expect(byCarol.error).toMatchObject({ code: 'NOT_INVITATION_CREATOR' });
    expect((await revoke(room.id, byAlice.id, bob)).error).toMatchObject({ code: 'NOT_INVITATION_CREATOR' });
    for (const user of [dave, frank]) {
      const r = await revoke(room.id, byBob.id, user);
      expect(r.response?.status).toBe(403);
      expect(r.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    }
    expect((await revoke(room.id, byBob.id, await newUser('Eve'))).response?.status).toBe(404);
    expect((await revoke(room.id, UNKNOWN, alice)).response?.status).toBe(404);
    expect((await revoke(room.id, elsewhere.id, alice)).response?.status).toBe(404); // another room's invitation
    expect((await revoke(room.id, 'x', alice)).response?.status).toBe(422);
    expect((await revoke(room.id, byBob.id)).response?.status).toBe(401);
    const own = await revoke(room.id, byBob.id, bob);
    expect(own.response?.status).toBe(200);
    expect(own.data!.status).toBe('revoked');
  });

  it('an accepted invitation is 409 INVITATION_ALREADY_ACCEPTED; an expired one, or one the archive revoked, comes back unchanged', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const dave = await newUser('Dave');
    const room = await newRoom(alice);
    const accepted = await joinRoom(room.id, alice, bob);
    const taken = await revoke(room.id, accepted.id, alice);
    expect(taken.response?.status).toBe(409);
    expect(taken.error).toMatchObject({ code: 'INVITATION_ALREADY_ACCEPTED' });
    const old = await inviteHuman(room.id, alice, dave);
    clock.advance(7 * DAY);
    const count = (await types(room.id, alice)).length;
    const expired = await revoke(room.id, old.id, alice);
    expect(expired.response?.status).toBe(200);
    expect(expired.data).toEqual({ ...old, status: 'expired' });
    const fresh = await inviteHuman(room.id, alice, null);
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    const archived = await revoke(room.id, fresh.id, alice);
    expect(archived.response?.status).toBe(200);
    expect(archived.data!.status).toBe('revoked');
    expect((await types(room.id, alice)).filter((t) => t === 'invitation.revoked')).toHaveLength(1); // the archive's
    expect((await types(room.id, alice)).length).toBe(count + 3); // created, revoked by the archive, archived
  });
});

// Rooms made through the API: a room, people and agents in it, messages.
import { randomUUID } from 'node:crypto';
import {
  acceptRoomInvitation,
  createRoom,
  createRoomInvitation,
  listRoomEvents,
  postRoomMessage,
  type Room,
  type RoomEvent,
  type RoomInvitation,
  type RoomMessage,
} from '@platform/client';
import type { TestUser } from './users.js';

export const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function ok<T>(result: { data?: T; error?: unknown; response?: Response }, what: string): T {
  if (!result.data) throw new Error(`${what} failed: ${result.response?.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

export async function newRoom(
  owner: TestUser,
  name = 'Launch planning',
  extra: { description?: string | null; rulesDocumentId?: string | null } = {},
): Promise<Room> {
  return ok(await createRoom({ body: { name, ...extra }, ...owner.as }), 'createRoom');
}

export async function inviteHuman(
  roomId: string,
  inviter: TestUser,
  invitee: TestUser | null,
): Promise<RoomInvitation> {
  return ok(
    await createRoomInvitation({
      path: { room_id: roomId },
      body: { inviteeKind: 'human', inviteeMembershipId: invitee?.user.id ?? null },
      ...inviter.as,
    }),
    'createRoomInvitation',
  );
}

/** Invites `user` and accepts as them: they are a current participant afterwards. */
export async function joinRoom(roomId: string, inviter: TestUser, user: TestUser): Promise<RoomInvitation> {
  const invitation = await inviteHuman(roomId, inviter, user);
  return ok(
    await acceptRoomInvitation({ path: { room_id: roomId, invitation_id: invitation.id }, ...user.as }),
    'acceptRoomInvitation',
  );
}

export async function inviteAgent(
  roomId: string,
  owner: TestUser,
  listingId: string,
  roleDocumentId: string | null = null,
): Promise<RoomInvitation> {
  return ok(
    await createRoomInvitation({
      path: { room_id: roomId },
      body: { inviteeKind: 'agent', inviteeMembershipId: listingId, roleDocumentId },
      ...owner.as,
    }),
    'createRoomInvitation',
  );
}

export async function post(
  roomId: string,
  user: TestUser,
  body: string,
  idempotencyKey = randomUUID(),
): Promise<RoomMessage> {
  return ok(
    await postRoomMessage({ path: { room_id: roomId }, body: { body, idempotencyKey }, ...user.as }),
    'postRoomMessage',
  );
}

/** The room's whole event log as `user` reads it, page after page. */
export async function allEvents(roomId: string, user: TestUser): Promise<RoomEvent[]> {
  const events: RoomEvent[] = [];
  for (;;) {
    const page = ok(
      await listRoomEvents({
        path: { room_id: roomId },
        query: { afterSeq: events.at(-1)?.seq ?? 0, limit: 100 },
        ...user.as,
      }),
      'listRoomEvents',
    ).items;
    events.push(...page);
    if (page.length < 100) return events;
  }
}

// Who may see and act in a room. A room is visible to its participants (current and former) and to users
// with a pending invitation to it (their own, or one for an agent listing they own); to anyone else it does
// not exist (404). Every operation loads the room through here first; writes lock the room's row, which
// serializes the room's writes (the event counter takes the same lock anyway).
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import type { Db } from '../platform/transactions.js';
import { notAParticipant, notRoomOwner, roomArchived, roomNotFound } from './errors.js';
import type { Room, RoomInvitation, RoomParticipant } from './models.js';
import { findHumanParticipant, findRoom, newestAcceptableInvitation } from './queries.js';
import type { RoomActor } from './wire.js';

export interface Access {
  room: Room;
  userId: string;
  /** The caller's own (human) participant, current or former. */
  participant: RoomParticipant | undefined;
  /** A pending, unexpired invitation the caller may accept (theirs, or for a listing they own). */
  pendingInvitation: RoomInvitation | undefined;
}

export const isCurrent = (p: RoomParticipant | undefined): p is RoomParticipant => !!p && p.leftAt === null;

export const actorOf = (a: Access): RoomActor => ({
  userId: a.userId,
  isParticipant: isCurrent(a.participant),
  pendingInvitationId: a.pendingInvitation?.id ?? null,
});

/**
 * The room as this user may see it at `now`, undefined when they may not. Read by every room operation (its
 * benchmark rows: posting a message, the timeline; the bare server runs it too): its statements are in
 * queries.ts, plain knex.
 */
export async function findAccess(
  db: Db,
  userId: string,
  roomId: string,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<Access | undefined> {
  const room = await findRoom(db, roomId, options);
  if (!room) return undefined;
  const [participant, pendingInvitation] = await Promise.all([
    findHumanParticipant(db, roomId, userId),
    newestAcceptableInvitation(db, roomId, userId, now),
  ]);
  if (!participant && !pendingInvitation) return undefined;
  return { room, userId, participant, pendingInvitation };
}

export class RoomAccess {
  constructor(private readonly clock: Clock) {}

  /** The room as the caller may see it, else 404. `lock` takes the room's row lock (writes). */
  async load(db: Db, principal: Principal, roomId: string, options: { lock?: boolean } = {}): Promise<Access> {
    const access = await findAccess(db, principal.user.id, roomId, this.clock.now(), options);
    if (!access) throw roomNotFound();
    return access;
  }

  /** Current participants only: others who can see the room get 403 NOT_A_PARTICIPANT. */
  async current(
    db: Db,
    principal: Principal,
    roomId: string,
    options: { lock?: boolean } = {},
  ): Promise<Access & { participant: RoomParticipant }> {
    const access = await this.load(db, principal, roomId, options);
    if (!isCurrent(access.participant)) throw notAParticipant();
    return access as Access & { participant: RoomParticipant };
  }

  /** The owner only (the owner is always a current participant): others who can see it get 403 NOT_ROOM_OWNER. */
  async owner(
    db: Db,
    principal: Principal,
    roomId: string,
    options: { lock?: boolean } = {},
  ): Promise<Access & { participant: RoomParticipant }> {
    const access = await this.load(db, principal, roomId, options);
    if (access.room.ownerId !== access.userId) throw notRoomOwner();
    return access as Access & { participant: RoomParticipant };
  }
}

export function requireActive(room: Room): void {
  if (room.state === 'archived') throw roomArchived();
}

// Who may see and act in a room. A room is visible to its participants (current and former) and to users
// with a pending invitation to it (their own, or one for an agent listing they own); to anyone else it does
// not exist (404). Every operation loads the room through here first; writes lock the room's row, which
// serializes the room's writes (the event counter takes the same lock anyway).
import type { Knex } from 'knex';
import type { AnyQueryBuilder } from 'objection';
import { listingIdsOwnedBy } from '../agents/index.js';
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import type { Db } from '../platform/transactions.js';
import { notAParticipant, notRoomOwner, roomArchived, roomNotFound } from './errors.js';
import type { Room, RoomInvitation, RoomParticipant } from './models.js';
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

/** Pending invitations the user can accept: addressed to them, or to an agent listing they own (a modifier). */
export const acceptableBy =
  (userId: string, now: Date, alias = 'room_invitations') =>
  (q: AnyQueryBuilder | Knex.QueryBuilder) => {
    q.where(`${alias}.status`, 'pending')
      .where(`${alias}.expiresAt`, '>', now)
      .where((w) => {
        w.where((h) => h.where(`${alias}.inviteeKind`, 'human').where(`${alias}.inviteeMembershipId`, userId)).orWhere(
          (g) =>
            g.where(`${alias}.inviteeKind`, 'agent').whereIn(`${alias}.inviteeMembershipId`, listingIdsOwnedBy(userId)),
        );
      });
  };

/**
 * The room as this user may see it at `now`, undefined when they may not. Read by every room operation (its
 * benchmark rows: posting a message, the timeline; the bare server runs it too): plain knex, the statements
 * Objection's findById / findOne / first sent (first() reads the first row of an unlimited query: no LIMIT,
 * as there).
 */
export async function findAccess(
  db: Db,
  userId: string,
  roomId: string,
  now: Date,
  options: { lock?: boolean } = {},
): Promise<Access | undefined> {
  const query = db('rooms').select('rooms.*').where('rooms.id', roomId);
  const [room] = (await (options.lock ? query.forUpdate() : query)) as Room[];
  if (!room) return undefined;
  const [[participant], [pendingInvitation]] = await Promise.all([
    db('room_participants')
      .select('room_participants.*')
      .where({ roomId, participantKind: 'human', membershipId: userId }) as Promise<RoomParticipant[]>,
    db('room_invitations')
      .select('room_invitations.*')
      .where('roomId', roomId)
      .modify(acceptableBy(userId, now))
      .orderBy('createdAt', 'desc') as Promise<RoomInvitation[]>,
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

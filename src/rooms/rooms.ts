// Rooms: list, create, get, archive and rules. Every write locks the room's row and appends its events in
// the same transaction (event-log.ts).
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { OffsetQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { actorOf, requireActive, type RoomAccess } from './access.js';
import type { DocumentsService } from './documents.js';
import { humanActor, type EventLog } from './event-log.js';
import { Room, RoomInvitation, RoomParticipant } from './models.js';
import { acceptableBy, firstCurrentParticipants } from './queries.js';
import type { RunsQueue } from './runs.js';
import { toRoom } from './wire.js';

export interface RoomListQuery extends OffsetQuery {
  state?: 'active' | 'archived' | null;
  include_archived: boolean;
}

/** The current participants a Room embeds: the first ones in join order; listRoomParticipants has them all. */
export const EMBEDDED_PARTICIPANTS = 50;

/** What a Room shows of its current participants: the first EMBEDDED_PARTICIPANTS, and how many there are. */
interface CurrentParticipants {
  shown: RoomParticipant[];
  count: number;
}

/** Each room's current participants as a Room embeds them, in one statement however many rooms. */
async function embeddedParticipants(db: Db, roomIds: string[]): Promise<Map<string, CurrentParticipants>> {
  const rows = await firstCurrentParticipants(db, roomIds, EMBEDDED_PARTICIPANTS);
  const byRoom = new Map<string, CurrentParticipants>(roomIds.map((id) => [id, { shown: [], count: 0 }]));
  for (const row of rows) {
    const room = byRoom.get(row.roomId)!;
    room.shown.push(row);
    room.count = Number(row.currentCount);
  }
  return byRoom;
}

export class RoomsService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly access: RoomAccess,
    private readonly eventLog: EventLog,
    private readonly documents: DocumentsService,
    private readonly runs: RunsQueue,
  ) {}

  /** The caller's rooms: current participant, or a pending invitation they can accept. */
  async list(principal: Principal, query: RoomListQuery): Promise<T.RoomList> {
    const userId = principal.user.id;
    const now = this.clock.now();
    const rooms = Room.query(this.db)
      .alias('r')
      .where((w) => {
        w.whereExists(
          RoomParticipant.query(this.db)
            .alias('p')
            .whereColumn('p.roomId', 'r.id')
            .where({ 'p.participantKind': 'human', 'p.membershipId': userId })
            .whereNull('p.leftAt'),
        ).orWhereExists(
          RoomInvitation.query(this.db)
            .alias('i')
            .whereColumn('i.roomId', 'r.id')
            .modify(acceptableBy(userId, now, 'i')),
        );
      });
    if (query.state) rooms.where('r.state', query.state);
    else if (!query.include_archived) rooms.where('r.state', 'active');
    const page = await rooms
      .select('r.*')
      .orderBy([
        { column: 'r.updatedAt', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(query.limit)
      .offset(query.offset);
    if (page.length === 0) return { items: [] };
    const ids = page.map((r) => r.id);
    const [participants, mine, invitations] = await Promise.all([
      embeddedParticipants(this.db, ids),
      // Not read from the embedded participants: the caller may be past the first EMBEDDED_PARTICIPANTS.
      RoomParticipant.query(this.db)
        .whereIn('roomId', ids)
        .where({ participantKind: 'human', membershipId: userId })
        .whereNull('leftAt')
        .select('roomId'),
      RoomInvitation.query(this.db)
        .whereIn('roomId', ids)
        .modify(acceptableBy(userId, now))
        .orderBy('createdAt', 'desc'),
    ]);
    const mineIn = new Set(mine.map((p) => p.roomId));
    return {
      items: page.map((room) => {
        const { shown, count } = participants.get(room.id)!;
        const pending = invitations.find((i) => i.roomId === room.id);
        return toRoom(room, shown, count, {
          userId,
          isParticipant: mineIn.has(room.id),
          pendingInvitationId: pending?.id ?? null,
        });
      }),
    };
  }

  async create(principal: Principal, input: T.RoomCreateRequest, trx?: Transaction): Promise<T.Room> {
    return inTransaction(this.db, trx, async (t) => {
      const user = principal.user;
      const rules = input.rulesDocumentId
        ? await this.documents.referenced(t, 'rules', input.rulesDocumentId, 'rulesDocumentId')
        : undefined;
      const now = this.clock.now();
      const room = await Room.query(t).insertAndFetch({
        ownerId: user.id,
        name: input.name,
        description: input.description ?? null,
        accessPolicy: 'invite_only',
        rulesDocumentId: input.rulesDocumentId ?? null,
        state: 'active',
        createdByKind: 'human',
        createdByMembershipId: user.id,
        createdByDisplayName: user.name,
        createdByRoleDocumentVersionId: null,
        lastSeq: 0,
        createdAt: now,
        updatedAt: now,
      });
      const actor = humanActor(user);
      await this.eventLog.append(t, room.id, {
        type: 'room.created',
        actor,
        subject: { kind: 'room', id: room.id },
        payload: {
          name: room.name,
          description: room.description,
          rulesDocumentId: room.rulesDocumentId,
          rulesDocumentVersionId: rules?.id ?? null,
        },
        fallbackText: `${user.name} created the room ${room.name}`,
      });
      const owner = await RoomParticipant.query(t).insertAndFetch({
        roomId: room.id,
        participantKind: 'human',
        membershipId: user.id,
        displayName: user.name,
        profilePictureUrl: user.image,
        roleDocumentId: null,
        agentEnabled: false,
        joinedAt: now,
        leftAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await this.eventLog.append(t, room.id, {
        type: 'participant.joined',
        actor,
        subject: { kind: 'participant', id: owner.id },
        payload: { participantId: owner.id, participantKind: 'human', membershipId: user.id, invitationId: null },
        fallbackText: `${user.name} joined the room`,
      });
      return this.view(t, principal, room.id);
    });
  }

  async get(principal: Principal, roomId: string): Promise<T.Room> {
    return this.view(this.db, principal, roomId);
  }

  /** Archives (final, idempotent): revokes pending invitations, cancels open runs, then `room.archived`. */
  async archive(principal: Principal, roomId: string, trx?: Transaction): Promise<T.Room> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.owner(t, principal, roomId, { lock: true });
      if (room.state === 'archived') return this.view(t, principal, roomId);
      const user = principal.user;
      const actor = humanActor(user);
      const now = this.clock.now();
      const pending = await RoomInvitation.query(t)
        .where({ roomId, status: 'pending' })
        .where('expiresAt', '>', now)
        .orderBy([{ column: 'createdAt' }, { column: 'id' }]);
      for (const invitation of pending) {
        await RoomInvitation.query(t)
          .findById(invitation.id)
          .patch({ status: 'revoked', respondedAt: now, updatedAt: now });
        await this.eventLog.append(t, roomId, {
          type: 'invitation.revoked',
          actor,
          subject: { kind: 'invitation', id: invitation.id },
          payload: { invitationId: invitation.id, reason: 'room_archived' },
          fallbackText: 'An invitation was revoked: the room was archived',
        });
      }
      await this.runs.cancelOpen(t, roomId);
      await Room.query(t).findById(roomId).patch({
        state: 'archived',
        archivedAt: now,
        archivedByKind: 'human',
        archivedByMembershipId: user.id,
        archivedByDisplayName: user.name,
        archivedByRoleDocumentVersionId: null,
      });
      await this.eventLog.append(t, roomId, {
        type: 'room.archived',
        actor,
        subject: { kind: 'room', id: roomId },
        payload: {},
        fallbackText: `${user.name} archived the room`,
      });
      return this.view(t, principal, roomId);
    });
  }

  /** Sets or clears the rules; the same id again changes nothing and appends nothing. */
  async updateRules(
    principal: Principal,
    roomId: string,
    rulesDocumentId: string | null,
    trx?: Transaction,
  ): Promise<T.Room> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.owner(t, principal, roomId, { lock: true });
      requireActive(room);
      const rules = rulesDocumentId
        ? await this.documents.referenced(t, 'rules', rulesDocumentId, 'rulesDocumentId')
        : undefined;
      if (room.rulesDocumentId === rulesDocumentId) return this.view(t, principal, roomId);
      await Room.query(t).findById(roomId).patch({ rulesDocumentId });
      await this.eventLog.append(t, roomId, {
        type: 'room.rules_changed',
        actor: humanActor(principal.user),
        subject: { kind: 'room', id: roomId },
        payload: {
          rulesDocumentId,
          previousRulesDocumentId: room.rulesDocumentId,
          rulesDocumentVersionId: rules?.id ?? null,
        },
        fallbackText: rulesDocumentId
          ? `${principal.user.name} changed the room's rules to ${rules!.displayName}`
          : `${principal.user.name} cleared the room's rules`,
      });
      return this.view(t, principal, roomId);
    });
  }

  /** The room as the caller sees it (404 when they cannot). */
  async view(db: Db, principal: Principal, roomId: string): Promise<T.Room> {
    const access = await this.access.load(db, principal, roomId);
    const { shown, count } = (await embeddedParticipants(db, [roomId])).get(roomId)!;
    return toRoom(access.room, shown, count, actorOf(access));
  }
}

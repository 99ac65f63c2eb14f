// The bare server's Rooms endpoints. The timeline page runs the area's own access read and the page's knex
// baseline (findAccess, timelinePage; TimelineService.timeline renders the same JSON in PostgreSQL). Posting a message runs under the
// platform's own IdempotencyFacility, as the pipeline runs it; inside it, the statements RoomAccess.current,
// MessagesService.post and EventLog.append run are still written here in knex (the parity check before every
// run stops the bench when src/ changes them); its JSON is mapped by the platform's src/rooms/wire.ts.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { systemClock } from '../../src/platform/clock.js';
import { IdempotencyFacility, requestHash } from '../../src/platform/idempotency.js';
import { resolveMentions } from '../../src/rooms/messages.js';
import type { RoomEvent, RoomMessage, RoomParticipant } from '../../src/rooms/models.js';
import { findAccess, isCurrent, timelinePage } from '../../src/rooms/index.js';
import { toMessage } from '../../src/rooms/wire.js';
import type { Answer } from './bare-communities.js';

interface Caller {
  id: string;
  name: string;
}
type Db = Knex | Knex.Transaction;

export class BareRooms {
  private readonly idempotency: IdempotencyFacility;

  constructor(private readonly db: Knex) {
    this.idempotency = new IdempotencyFacility(db, systemClock);
  }

  /** RoomAccess.current: the room (locked for writes), the caller's participant and acceptable invitation. */
  private async current(db: Db, userId: string, roomId: string, lock: boolean) {
    const query = db('rooms').select('rooms.*').where('rooms.id', roomId);
    const room = (await (lock ? query.forUpdate() : query))[0] as { lastSeq: string; state: string } | undefined;
    if (!room) return undefined;
    const now = new Date();
    const [participants] = await Promise.all([
      db('room_participants')
        .select('room_participants.*')
        .where({ roomId, participantKind: 'human', membershipId: userId }),
      db('room_invitations')
        .select('room_invitations.*')
        .where('roomId', roomId)
        .where('room_invitations.status', 'pending')
        .where('room_invitations.expiresAt', '>', now)
        .where((w) => {
          w.where((h) =>
            h.where('room_invitations.inviteeKind', 'human').where('room_invitations.inviteeMembershipId', userId),
          ).orWhere((g) =>
            g
              .where('room_invitations.inviteeKind', 'agent')
              .whereIn('room_invitations.inviteeMembershipId', (l) =>
                l.select('id').from('agent_listings').where('ownerId', userId),
              ),
          );
        })
        .orderBy('createdAt', 'desc'),
    ]);
    // Objection's findOne / first() read the first row of an unlimited query: no LIMIT, as there.
    const participant = participants[0] as RoomParticipant | undefined;
    if (!participant || participant.leftAt !== null) return undefined;
    return { room, participant };
  }

  async post(user: Caller, roomId: string, input: { body: string; idempotencyKey: string }): Promise<Answer> {
    const { idempotencyKey, ...rest } = input;
    const scope = { principalId: user.id, operationId: 'postRoomMessage', target: roomId, key: String(idempotencyKey) };
    const hash = requestHash({ path: { room_id: roomId }, query: {}, body: rest });
    // The platform's own idempotency facility (src/platform/idempotency.ts): the same claim, replay and store.
    const stored = await this.idempotency
      .run(scope, hash, async (t) => {
        const access = await this.current(t, user.id, roomId, true);
        if (!access) return { status: 404, body: undefined };
        const current = (await t('room_participants')
          .select('room_participants.*')
          .where('roomId', roomId)
          .whereNull('leftAt')) as RoomParticipant[];
        const body = input.body;
        const refs = resolveMentions(body, current);
        const id = randomUUID();
        const now = new Date();
        const [counter] = await t('rooms')
          .where('id', roomId)
          .update({ lastSeq: t.raw('last_seq + 1'), updatedAt: now })
          .returning('lastSeq');
        const [event] = (await t('room_events')
          .insert({
            id: randomUUID(),
            roomId,
            seq: Number((counter as { lastSeq: string }).lastSeq),
            type: 'message.posted',
            schemaVersion: 1,
            actorKind: 'human',
            actorMembershipId: user.id,
            actorDisplayName: user.name,
            actorRoleDocumentVersionId: null,
            subjectKind: 'message',
            subjectId: id,
            payload: JSON.stringify({ messageId: id, body, bodyFormat: 'plain_text', refs }),
            fallbackText: `${user.name} posted a message`,
            slot: 'timeline',
            createdAt: now,
          })
          .returning('*')) as RoomEvent[];
        const at = new Date();
        const [message] = (await t('room_messages')
          .insert({
            id,
            roomId,
            seq: event!.seq,
            participantId: access.participant.id,
            actorKind: 'human',
            actorMembershipId: user.id,
            actorDisplayName: access.participant.displayName,
            actorRoleDocumentVersionId: null,
            actorRoleDocumentVersion: null,
            body,
            bodyFormat: 'plain_text',
            refs: JSON.stringify(refs),
            branchedFromMessageId: null,
            runSummary: null,
            editedAt: null,
            deletedAt: null,
            createdAt: at,
            updatedAt: at,
          })
          .returning('*')) as RoomMessage[];
        return { status: 201, body: JSON.stringify(toMessage(message!)) };
      })
      .catch((error: { status?: number }) => {
        if (error.status === 409) return { status: 409, body: undefined };
        throw error;
      });
    return { status: stored.status, body: stored.body === undefined ? undefined : JSON.parse(stored.body) };
  }

  /** TimelineService.timeline without bounds: the room's own access read and timeline page, in one snapshot. */
  async timeline(userId: string, roomId: string, limit: number): Promise<Answer> {
    return this.db.transaction(async (t) => {
      await t.raw('set transaction isolation level repeatable read, read only');
      const access = await findAccess(t, userId, roomId, new Date());
      if (!access || !isCurrent(access.participant)) return { status: 404 };
      return { status: 200, body: await timelinePage(t, roomId, Number(access.room.lastSeq), { limit }) };
    });
  }
}

const ROOM_PATH = /^\/api\/v1\/rooms\/([^/]+)\/(messages|timeline)$/;

/** Routes the two endpoints; undefined for any other path. */
export async function routeRooms(
  q: BareRooms,
  method: string,
  path: string,
  query: Record<string, unknown>,
  body: () => Promise<unknown>,
  user: Caller | undefined,
): Promise<Answer | undefined> {
  const match = ROOM_PATH.exec(path);
  if (!match) return undefined;
  if (!user) return { status: 401 };
  const [, id, action] = match as unknown as [string, string, string];
  if (method === 'POST' && action === 'messages')
    return q.post(user, id, (await body()) as { body: string; idempotencyKey: string });
  if (method === 'GET' && action === 'timeline') return q.timeline(user.id, id, Number(query.limit ?? 50));
  return undefined;
}

// Messages: posting (under the idempotency facility's transaction), editing by the author, soft deletion.
// A post appends `message.posted` (the message's seq is that event's) and queues a run for each mentioned
// agent participant that is enabled, in the same transaction.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';
import { requireActive, type RoomAccess } from './access.js';
import { messageDeleted, messageNotFound, notMessageAuthor } from './errors.js';
import { humanActor, type EventLog } from './event-log.js';
import { resolveMentions } from './mentions.js';
import { RoomMessage } from './models.js';
import { currentParticipants, renderInsertedMessage, stripDeletedMessageFromEvents } from './queries.js';
import type { RunsQueue } from './runs.js';
import { toMessage } from './wire.js';

// Also imported from here by scripts/bench (its bare server resolves mentions as the product does).
export { resolveMentions };

export class MessagesService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly access: RoomAccess,
    private readonly eventLog: EventLog,
    private readonly runs: RunsQueue,
  ) {}

  /**
   * Hot path (its benchmark rows: posting in a busy room, spread over 100 rooms): its statements are in queries.ts,
   * the participants read, the event and the message compiled once; the answer is the message its insert renders.
   */
  async post(principal: Principal, roomId: string, body: string, trx?: Transaction): Promise<Rendered<T.RoomMessage>> {
    return inTransaction(this.db, trx, async (t) => {
      const { room, participant } = await this.access.current(t, principal, roomId, { lock: true });
      requireActive(room);
      const current = await currentParticipants(t, roomId);
      const refs = resolveMentions(body, current);
      const actor = humanActor(principal.user);
      const id = randomUUID();
      const event = await this.eventLog.append(t, roomId, {
        type: 'message.posted',
        actor,
        subject: { kind: 'message', id },
        payload: { messageId: id, body, bodyFormat: 'plain_text', refs },
        fallbackText: `${principal.user.name} posted a message`,
      });
      const now = this.clock.now();
      const message = await renderInsertedMessage(t, {
        id,
        roomId,
        seq: event.seq,
        participantId: participant.id,
        actorKind: 'human',
        actorMembershipId: principal.user.id,
        actorDisplayName: participant.displayName,
        actorRoleDocumentVersionId: null,
        actorRoleDocumentVersion: null,
        body,
        bodyFormat: 'plain_text',
        refs,
        branchedFromMessageId: null,
        runSummary: null,
        editedAt: null,
        deletedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      for (const ref of refs) {
        const agent = current.find((p) => p.id === ref.targetId)!;
        if (agent.participantKind === 'agent' && agent.agentEnabled) await this.runs.queue(t, roomId, agent, id, actor);
      }
      return message;
    });
  }

  /** The author replaces the text; `refs` are resolved again, no run starts, the seq stays. */
  async edit(
    principal: Principal,
    roomId: string,
    messageId: string,
    body: string,
    trx?: Transaction,
  ): Promise<T.RoomMessage> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.current(t, principal, roomId, { lock: true });
      const message = await this.find(t, roomId, messageId);
      if (!this.isAuthor(message, principal)) throw notMessageAuthor();
      if (message.deletedAt) throw messageDeleted();
      requireActive(room);
      const current = await currentParticipants(t, roomId);
      const refs = resolveMentions(body, current);
      const now = this.clock.now();
      const edited = await RoomMessage.query(t).patchAndFetchById(messageId, {
        body,
        refs,
        editedAt: now,
        updatedAt: now,
      });
      await this.eventLog.append(t, roomId, {
        type: 'message.edited',
        actor: humanActor(principal.user),
        subject: { kind: 'message', id: messageId },
        payload: { messageId, body, refs },
        fallbackText: `${principal.user.name} edited a message`,
      });
      return toMessage(edited);
    });
  }

  /**
   * Soft delete by the author or the owner: body and refs are stripped from the message and from its earlier
   * events' payloads. Idempotent: a deleted message is returned as it is, with no new event.
   */
  async delete(principal: Principal, roomId: string, messageId: string, trx?: Transaction): Promise<T.RoomMessage> {
    return inTransaction(this.db, trx, async (t) => {
      const { room } = await this.access.current(t, principal, roomId, { lock: true });
      const message = await this.find(t, roomId, messageId);
      if (!this.isAuthor(message, principal) && room.ownerId !== principal.user.id) throw notMessageAuthor();
      if (message.deletedAt) return toMessage(message);
      requireActive(room);
      const now = this.clock.now();
      const deleted = await RoomMessage.query(t).patchAndFetchById(messageId, {
        body: '',
        refs: [],
        deletedAt: now,
        updatedAt: now,
      });
      await stripDeletedMessageFromEvents(t, roomId, messageId);
      await this.eventLog.append(t, roomId, {
        type: 'message.deleted',
        actor: humanActor(principal.user),
        subject: { kind: 'message', id: messageId },
        payload: { messageId },
        fallbackText: `${principal.user.name} deleted a message`,
      });
      return toMessage(deleted);
    });
  }

  private isAuthor(message: RoomMessage, principal: Principal): boolean {
    return message.actorKind === 'human' && message.actorMembershipId === principal.user.id;
  }

  private async find(t: Transaction, roomId: string, messageId: string): Promise<RoomMessage> {
    const message = await RoomMessage.query(t).findOne({ id: messageId, roomId });
    if (!message) throw messageNotFound();
    return message;
  }
}

// The room event log: the one place events are appended. Every state change of a room calls `append` in the
// transaction that makes the change. `seq` comes from the room's row-locked counter
// (`update rooms set last_seq = last_seq + 1 ... returning`), backed by unique (room_id, seq): the lock is
// held until commit, so seq N+1 is only handed out once N is committed (or rolled back and handed out
// again). Numbers are gapless and in commit order, and a reader of `seq > N` never skips a late commit.
//
// Live streams need nothing from here: a trigger on room_events notifies every instance when the insert
// commits (see the rooms migration 20261220120000_room_events_notify and live-feeds.ts).
import { randomUUID } from 'node:crypto';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import type { Transaction } from '../platform/transactions.js';
import type { RoomEvent } from './models.js';
import { insertEvent, nextSeq } from './queries.js';

export type EventType = T.RoomEventType;
export type SubjectKind = T.RoomEventSubject['kind'];

/** Who caused an event, as the log records it. */
export interface Actor {
  kind: 'human' | 'agent' | 'system';
  membershipId: string | null;
  displayName: string;
  roleDocumentVersionId: string | null;
}

export const SYSTEM: Actor = { kind: 'system', membershipId: null, displayName: 'System', roleDocumentVersionId: null };

export const humanActor = (user: { id: string; name: string }): Actor => ({
  kind: 'human',
  membershipId: user.id,
  displayName: user.name,
  roleDocumentVersionId: null,
});

export interface NewEvent {
  type: EventType;
  actor: Actor;
  subject: { kind: SubjectKind; id: string };
  payload: Record<string, unknown>;
  /** One line for clients without a renderer for `type`. */
  fallbackText: string;
}

/** Where each type belongs in a room view (`render.slot`). */
const SLOTS: Record<EventType, T.RoomEventRender['slot']> = {
  'room.created': 'timeline',
  'room.archived': 'timeline',
  'room.rules_changed': 'timeline',
  'participant.joined': 'timeline',
  'participant.left': 'timeline',
  'participant.removed': 'timeline',
  'participant.agent_role_changed': 'timeline',
  'invitation.created': 'timeline',
  'invitation.accepted': 'timeline',
  'invitation.revoked': 'timeline',
  'message.posted': 'timeline',
  'message.edited': 'hidden',
  'message.deleted': 'hidden',
  'run.queued': 'inline',
  'run.started': 'inline',
  'run.completed': 'inline',
  'run.failed': 'inline',
  'run.cancelled': 'inline',
  'tool.started': 'inline',
  'tool.completed': 'inline',
  'tool.failed': 'inline',
};

const MAX_FALLBACK = 500;
const MAX_NAME = 100;
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export class EventLog {
  constructor(private readonly clock: Clock) {}

  /**
   * Appends one event to the room's log in `trx` and returns it. The counter update also moves the room's
   * `updatedAt` to the event's time (rooms are listed by their latest activity).
   */
  async append(trx: Transaction, roomId: string, event: NewEvent): Promise<RoomEvent> {
    const now = this.clock.now();
    const seq = await nextSeq(trx, roomId, now);
    if (seq === undefined) throw new Error(`append to a room that does not exist: ${roomId}`);
    return insertEvent(trx, {
      id: randomUUID(),
      roomId,
      seq,
      type: event.type,
      schemaVersion: 1,
      actorKind: event.actor.kind,
      actorMembershipId: event.actor.membershipId,
      actorDisplayName: clip(event.actor.displayName, MAX_NAME),
      actorRoleDocumentVersionId: event.actor.roleDocumentVersionId,
      subjectKind: event.subject.kind,
      subjectId: event.subject.id,
      payload: event.payload,
      fallbackText: clip(event.fallbackText, MAX_FALLBACK),
      slot: SLOTS[event.type],
      createdAt: now,
    });
  }
}

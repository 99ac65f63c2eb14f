// Agent runs, as far as this issue goes: a mention of an agent participant queues a run in the message's
// transaction (`run.queued`), and archiving the room, removing the agent or deleting its listing cancels its
// open runs (`run.cancelled`). Executing runs (run.started, tool events, the reply, run.completed/failed, the
// reaper) is the next issue's worker, which picks up `queued` rows.
import type { Clock } from '../platform/clock.js';
import type { Transaction } from '../platform/transactions.js';
import { SYSTEM, type Actor, type EventLog } from './event-log.js';
import { RoomRun, type RoomParticipant } from './models.js';

export class RunsQueue {
  constructor(private readonly clock: Clock, private readonly log: EventLog) {}

  async queue(t: Transaction, roomId: string, agent: RoomParticipant, triggerMessageId: string, actor: Actor): Promise<RoomRun> {
    const now = this.clock.now();
    const run = await RoomRun.query(t).insertAndFetch({
      roomId, participantId: agent.id, triggerMessageId, status: 'queued', toolCallCount: 0, createdAt: now, updatedAt: now,
    });
    await this.log.append(t, roomId, {
      type: 'run.queued', actor, subject: { kind: 'run', id: run.id },
      payload: { runId: run.id, participantId: agent.id, triggerMessageId },
      fallbackText: `${agent.displayName} will reply`,
    });
    return run;
  }

  /** Cancels the room's queued and running runs (of one participant, when given), one `run.cancelled` each. */
  async cancelOpen(t: Transaction, roomId: string, participants: Map<string, RoomParticipant> | RoomParticipant): Promise<number> {
    const only = participants instanceof Map ? undefined : participants;
    const query = RoomRun.query(t).where('roomId', roomId).whereIn('status', ['queued', 'running']).orderBy([{ column: 'createdAt' }, { column: 'id' }]).forUpdate();
    if (only) query.where('participantId', only.id);
    const open = await query;
    const now = this.clock.now();
    for (const run of open) {
      await RoomRun.query(t).findById(run.id).patch({ status: 'cancelled', completedAt: now, updatedAt: now });
      const agent = only ?? (participants as Map<string, RoomParticipant>).get(run.participantId);
      await this.log.append(t, roomId, {
        type: 'run.cancelled', actor: SYSTEM, subject: { kind: 'run', id: run.id },
        payload: { runId: run.id, participantId: run.participantId },
        fallbackText: `${agent?.displayName ?? 'An agent'}'s run was cancelled`,
      });
    }
    return open.length;
  }
}

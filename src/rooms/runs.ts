// Agent runs, the state machine: every transition of a run happens here, in one transaction with its event.
//
//   queued  --claim (a worker, FOR UPDATE SKIP LOCKED)-->  running   run.started
//   running --reply posted-->                              completed message.posted, run.completed
//   running --provider error, empty reply, shutdown-->     failed    run.failed
//   running --no heartbeat for staleAfterMs (reaper)-->    failed    run.failed (system actor)
//   queued | running --room archived, agent removed-->     cancelled run.cancelled (system actor)
//
// A terminal run never changes again: every transition locks the run's row and checks its status first, so
// a late reply of a reaped or cancelled run is dropped. Lock order, as everywhere in rooms: the room's row, then
// the run's (archiving or removing an agent locks the room, then cancels its runs). When a run ends, each tool call it started and did not
// finish gets its `tool.failed` event, so every `tool.started` has exactly one terminal event.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../platform/clock.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import { afterCommit, type Transaction } from '../platform/transactions.js';
import type { DocumentsService } from './documents.js';
import { SYSTEM, type Actor, type EventLog } from './event-log.js';
import { resolveMentions } from './mentions.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { RoomEvent, RoomMessage, RoomParticipant, RoomRun, type RoomDocumentVersion } from './models.js';
import {
  countRunningRuns,
  currentParticipants,
  lockOldestQueuedRun,
  lockRoom,
  recordHeartbeat,
  staleRuns,
  tryLockRoom,
} from './queries.js';

/** A run the worker holds: its row, the agent participant, the role document version it runs under. */
export interface ClaimedRun {
  run: RoomRun;
  agent: RoomParticipant;
  actor: Actor;
  roleVersion: Pick<RoomDocumentVersion, 'id' | 'version' | 'body'> | null;
}

/** A run's tool events in the room log. */
export const TOOL_EVENT_TYPES: Array<T.RoomToolEvent['type']> = ['tool.started', 'tool.completed', 'tool.failed'];

/** Which run: enough to take its locks in order. */
export type RunRef = Pick<RoomRun, 'id' | 'roomId'>;

/** One tool call as its events record it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  startedAt: Date;
}

const agentActor = (agent: RoomParticipant, roleDocumentVersionId: string | null): Actor => ({
  kind: 'agent',
  membershipId: agent.membershipId,
  displayName: agent.displayName,
  roleDocumentVersionId,
});

export class RunsQueue {
  /** Called after a transaction that queued runs commits (the worker looks for work at once). */
  onQueued: () => void = () => {};

  constructor(
    private readonly clock: Clock,
    private readonly eventLog: EventLog,
    private readonly documents: DocumentsService,
    private readonly metrics: Recorder = NO_METRICS,
  ) {}

  async queue(
    t: Transaction,
    roomId: string,
    agent: RoomParticipant,
    triggerMessageId: string,
    actor: Actor,
  ): Promise<RoomRun> {
    const now = this.clock.now();
    const run = await RoomRun.query(t).insertAndFetch({
      roomId,
      participantId: agent.id,
      triggerMessageId,
      status: 'queued',
      toolCallCount: 0,
      createdAt: now,
      updatedAt: now,
    });
    await this.eventLog.append(t, roomId, {
      type: 'run.queued',
      actor,
      subject: { kind: 'run', id: run.id },
      payload: { runId: run.id, participantId: agent.id, triggerMessageId },
      fallbackText: `${agent.displayName} will reply`,
    });
    t.executionPromise.then(
      () => this.onQueued(),
      () => {},
    );
    return run;
  }

  /**
   * Moves the oldest queued run of a room with fewer than `perRoom` running runs to `running`, or returns
   * undefined. Exactly one worker gets each run (SKIP LOCKED); the room's row lock makes the per-room count exact.
   */
  async claim(db: Knex, perRoom: number): Promise<ClaimedRun | undefined> {
    return db.transaction(async (t) => {
      const full = new Set<string>();
      for (let attempt = 0; attempt < 10; attempt++) {
        const run = await lockOldestQueuedRun(t, [...full]);
        if (!run) return undefined;
        // The room busy with a write (it may be cancelling this run): look at the next room's runs instead.
        if (!(await tryLockRoom(t, run.roomId))) {
          full.add(run.roomId);
          continue;
        }
        if ((await countRunningRuns(t, run.roomId)) >= perRoom) {
          full.add(run.roomId);
          continue;
        }
        const agent = await RoomParticipant.query(t).findById(run.participantId);
        const roleVersion = agent?.roleDocumentId ? await this.documents.latest(t, agent.roleDocumentId) : undefined;
        const now = this.clock.now();
        const started = await RoomRun.query(t).patchAndFetchById(run.id, {
          status: 'running',
          startedAt: now,
          heartbeatAt: now,
          roleDocumentVersionId: roleVersion?.id ?? null,
          updatedAt: now,
        });
        const actor = agentActor(agent!, roleVersion?.id ?? null);
        await this.eventLog.append(t, run.roomId, {
          type: 'run.started',
          actor,
          subject: { kind: 'run', id: run.id },
          payload: { runId: run.id, participantId: run.participantId, roleDocumentVersionId: roleVersion?.id ?? null },
          fallbackText: `${agent!.displayName} is working`,
        });
        return { run: started, agent: agent!, actor, roleVersion: roleVersion ?? null };
      }
      return undefined;
    });
  }

  /** Records the start of a tool call (`tool.started`, counted on the run); false when the run is no longer running. */
  async toolStarted(db: Knex, claimed: ClaimedRun, call: ToolCallRecord): Promise<boolean> {
    return db.transaction(async (t) => {
      const run = await this.lockRunning(t, claimed.run);
      if (!run) return false;
      await RoomRun.query(t)
        .findById(run.id)
        .patch({ toolCallCount: run.toolCallCount + 1, updatedAt: this.clock.now() });
      await this.appendToolEvent(t, claimed.run, claimed.actor, call, 'started');
      return true;
    });
  }

  /** Records the end of a tool call (`tool.completed` / `tool.failed`), unless the run ended meanwhile (its end closed the call). */
  async toolEnded(
    db: Knex,
    claimed: ClaimedRun,
    call: ToolCallRecord,
    outcome: 'completed' | 'failed',
    error?: string,
  ): Promise<void> {
    await db.transaction(async (t) => {
      if (!(await this.lockRunning(t, claimed.run))) return;
      await this.appendToolEvent(t, claimed.run, claimed.actor, call, outcome, error);
    });
  }

  /** Moves the heartbeat on; false when the run is no longer running (cancelled or reaped: stop working on it). */
  async beat(db: Knex, runId: string): Promise<boolean> {
    return recordHeartbeat(db, runId, this.clock.now());
  }

  /** Posts the agent's reply and completes the run; false (nothing written) when the run is no longer running. */
  async complete(db: Knex, claimed: ClaimedRun, body: string): Promise<boolean> {
    const completed = await db.transaction(async (t) => {
      const run = await this.lockRunning(t, claimed.run);
      if (!run) return false;
      const { agent, actor, roleVersion } = claimed;
      const now = this.clock.now();
      const current = await currentParticipants(t, run.roomId);
      const refs = resolveMentions(
        body,
        current.filter((p) => p.id !== agent.id),
      ); // shown, but an agent's reply starts no run
      const id = randomUUID();
      const runSummary = {
        runId: run.id,
        status: 'completed',
        toolCallCount: run.toolCallCount,
        startedAt: run.startedAt!.toISOString(),
        completedAt: now.toISOString(),
        durationMs: now.getTime() - run.startedAt!.getTime(),
      };
      const event = await this.eventLog.append(t, run.roomId, {
        type: 'message.posted',
        actor,
        subject: { kind: 'message', id },
        payload: { messageId: id, body, bodyFormat: 'markdown', refs, runId: run.id },
        fallbackText: `${agent.displayName} replied`,
      });
      await RoomMessage.query(t).insert({
        id,
        roomId: run.roomId,
        seq: event.seq,
        participantId: agent.id,
        actorKind: 'agent',
        actorMembershipId: agent.membershipId,
        actorDisplayName: agent.displayName,
        actorRoleDocumentVersionId: roleVersion?.id ?? null,
        actorRoleDocumentVersion: roleVersion?.version ?? null,
        body,
        bodyFormat: 'markdown',
        refs,
        branchedFromMessageId: run.triggerMessageId,
        runSummary,
        editedAt: null,
        deletedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      await RoomRun.query(t)
        .findById(run.id)
        .patch({ status: 'completed', replyMessageId: id, completedAt: now, updatedAt: now });
      await this.eventLog.append(t, run.roomId, {
        type: 'run.completed',
        actor,
        subject: { kind: 'run', id: run.id },
        payload: { runId: run.id, participantId: agent.id, replyMessageId: id, toolCallCount: run.toolCallCount },
        fallbackText: `${agent.displayName} finished`,
      });
      return true;
    });
    if (completed) this.metrics.roomRuns('completed');
    return completed;
  }

  /** Fails a running run with `error` (its open tool calls first); false when it had already ended. */
  async fail(db: Knex, which: RunRef, error: string, actor: Actor = SYSTEM): Promise<boolean> {
    return db.transaction(async (t) => {
      const run = await this.lockRunning(t, which);
      if (!run) return false;
      await this.end(t, run, 'failed', error, actor);
      return true;
    });
  }

  /** Fails every running run whose heartbeat is older than `staleAfterMs` (its worker died); returns how many. */
  async reap(db: Knex, staleAfterMs: number): Promise<number> {
    const before = new Date(this.clock.now().getTime() - staleAfterMs);
    const stale: RunRef[] = await staleRuns(db, before, 100);
    let reaped = 0;
    for (const run of stale) {
      const why =
        staleAfterMs > 0
          ? `its worker sent no heartbeat for ${Math.round(staleAfterMs / 1000)} s`
          : 'the server running it stopped';
      if (await this.fail(db, run, `The run stopped responding: ${why}.`)) reaped += 1;
    }
    return reaped;
  }

  /**
   * Cancels the room's queued and running runs (of one agent participant, when given), one `run.cancelled` each.
   * The caller holds the room's row lock.
   */
  async cancelOpen(t: Transaction, roomId: string, only?: RoomParticipant): Promise<number> {
    const query = RoomRun.query(t)
      .where('roomId', roomId)
      .whereIn('status', ['queued', 'running'])
      .orderBy([{ column: 'createdAt' }, { column: 'id' }])
      .forUpdate();
    if (only) query.where('participantId', only.id);
    const open = await query;
    for (const run of open) await this.end(t, run, 'cancelled', null, SYSTEM, only);
    if (open.length) afterCommit(t, () => this.metrics.roomRuns('cancelled', open.length));
    return open.length;
  }

  /** Moves a queued or running run (locked by the caller) to a terminal status, closing its open tool calls. */
  private async end(
    t: Transaction,
    run: RoomRun,
    status: 'failed' | 'cancelled',
    error: string | null,
    actor: Actor,
    known?: RoomParticipant,
  ): Promise<void> {
    if (status === 'failed') afterCommit(t, () => this.metrics.roomRuns('failed'));
    const agent = known ?? (await RoomParticipant.query(t).findById(run.participantId));
    const name = agent?.displayName ?? 'An agent';
    const agentAs = agent ? agentActor(agent, run.roleDocumentVersionId) : SYSTEM;
    for (const call of await this.openToolCalls(t, run.id))
      await this.appendToolEvent(t, run, agentAs, call, 'failed', `the run was ${status}`);
    const now = this.clock.now();
    await RoomRun.query(t)
      .findById(run.id)
      .patch({ status, error: error?.slice(0, 2000) ?? null, completedAt: now, updatedAt: now });
    await this.eventLog.append(
      t,
      run.roomId,
      status === 'failed'
        ? {
            type: 'run.failed',
            actor,
            subject: { kind: 'run', id: run.id },
            payload: { runId: run.id, participantId: run.participantId, error },
            fallbackText: `${name}'s run failed`,
          }
        : {
            type: 'run.cancelled',
            actor,
            subject: { kind: 'run', id: run.id },
            payload: { runId: run.id, participantId: run.participantId },
            fallbackText: `${name}'s run was cancelled`,
          },
    );
  }

  /** Locks the room's row, then the run's (the lock order above); the run if it is still running. */
  private async lockRunning(t: Transaction, which: RunRef): Promise<RoomRun | undefined> {
    await lockRoom(t, which.roomId);
    const run = await RoomRun.query(t).findById(which.id).forUpdate();
    return run?.status === 'running' ? run : undefined;
  }

  /** Tool calls of the run with a `tool.started` event and no terminal one. */
  private async openToolCalls(t: Transaction, runId: string): Promise<ToolCallRecord[]> {
    const events = await RoomEvent.query(t)
      .where({ subjectKind: 'run', subjectId: runId })
      .whereIn('type', TOOL_EVENT_TYPES)
      .orderBy('seq');
    const open = new Map<string, ToolCallRecord>();
    for (const e of events) {
      const p = e.payload as T.RoomToolEventPayload;
      if (e.type === 'tool.started')
        open.set(p.toolCallId, { id: p.toolCallId, name: p.toolName, startedAt: new Date(p.startedAt) });
      else open.delete(p.toolCallId);
    }
    return [...open.values()];
  }

  private async appendToolEvent(
    t: Transaction,
    run: RoomRun,
    actor: Actor,
    call: ToolCallRecord,
    status: 'started' | 'completed' | 'failed',
    error?: string,
  ): Promise<void> {
    const completedAt = status === 'started' ? null : this.clock.now();
    await this.eventLog.append(t, run.roomId, {
      type: `tool.${status}`,
      actor,
      subject: { kind: 'run', id: run.id },
      payload: {
        completedAt: completedAt?.toISOString() ?? null,
        durationMs: completedAt ? Math.max(0, completedAt.getTime() - call.startedAt.getTime()) : null,
        linkedRunIds: [],
        roleDocumentVersionId: run.roleDocumentVersionId,
        roomId: run.roomId,
        roomParticipantId: run.participantId,
        runId: run.id,
        startedAt: call.startedAt.toISOString(),
        status,
        toolCallId: call.id,
        toolName: call.name,
      } satisfies T.RoomToolEventPayload,
      fallbackText:
        status === 'started'
          ? `${actor.displayName} is using ${call.name}`
          : status === 'completed'
            ? `${actor.displayName} used ${call.name}`
            : `${call.name} failed${error ? `: ${error}` : ''}`,
    });
  }
}

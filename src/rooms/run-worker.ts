// The run worker: every instance runs one. It claims queued runs (src/rooms/runs.ts: exactly one worker gets
// each), runs the agent with its role document's instructions, the room's recent messages and the room's tools,
// and posts the reply. Limits: `concurrency` runs at once per instance, `perRoom` running runs per room (across
// instances), `maxToolCalls` tool calls per run (those past it are refused unrecorded). While it works it beats a heartbeat every `heartbeatMs`; a run
// whose heartbeat is older than `staleAfterMs` (its process died) is failed by the reaper of any instance.
// A heartbeat that finds the run no longer running (cancelled, reaped) stops the provider.
import type { Knex } from 'knex';
import { findListing } from '../agents/index.js';
import type { AgentMessage, AgentProvider, AgentToolbox, AgentToolCall } from '../ai/agent-provider.js';
import { MAX_REPLY_CHARS, TimeoutError, withTimeout } from '../ai/reply-stream.js';
import type { RunsConfig } from '../config.js';
import type { Clock } from '../platform/clock.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import type { Logger } from 'pino';
import { RoomMessage } from './models.js';
import { countOpenRuns } from './queries.js';
import { ROOM_TOOLS, runRoomTool, ToolError } from './run-tools.js';
import type { ClaimedRun, RunsQueue, ToolCallRecord } from './runs.js';

/** The runs configuration, and the agent provider's timeout: no reply text for this long (tool calls included) fails the run. */
export type RunWorkerOptions = RunsConfig & { timeoutMs: number };

const HISTORY = 20;
/** The abort reason of a run the server stops (`stop`), and what the run's error then says. */
const STOPPING = new Error('stopping');
const STOPPED = 'The server stopped while the run was in progress.';

export class RunWorker {
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private timers: NodeJS.Timeout[] = [];
  private filling: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly runs: RunsQueue,
    private readonly agent: AgentProvider,
    private readonly options: RunWorkerOptions,
    private readonly metrics: Recorder = NO_METRICS,
  ) {}

  /** Runs queued and running, across instances (a gauge read at scrape time). */
  open(): Promise<{ queued: number; running: number }> {
    return countOpenRuns(this.db);
  }

  private log: Logger | undefined;

  /** Polls for queued runs and reaps stale ones until `stop`. */
  start(log?: Logger): void {
    this.log = log;
    this.stopped = false;
    this.runs.onQueued = () => this.wake();
    const poll = setInterval(() => this.wake(), this.options.pollMs);
    const reap = setInterval(
      () => {
        void this.reap();
      },
      Math.max(1000, this.options.staleAfterMs / 4),
    );
    this.timers = [poll, reap];
    for (const timer of this.timers) timer.unref();
    this.wake();
  }

  /** Stops claiming; runs still in progress are failed (`the server stopped`), so none is left running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.runs.onQueued = () => {};
    for (const timer of this.timers) clearInterval(timer);
    await this.filling;
    for (const { controller } of this.active.values()) controller.abort(STOPPING);
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  /** Claims and executes queued runs until none is left (tests, and the first look after start). */
  async drain(): Promise<number> {
    let executed = 0;
    for (;;) {
      const claimed = await this.runs.claim(this.db, this.options.perRoom);
      if (!claimed) return executed;
      await this.execute(claimed);
      executed += 1;
    }
  }

  /** Fails runs whose worker died (no heartbeat for `staleAfterMs`); returns how many. */
  async reap(staleAfterMs = this.options.staleAfterMs): Promise<number> {
    try {
      const reaped = await this.runs.reap(this.db, staleAfterMs);
      this.metrics.reaperActions('room_runs', reaped);
      return reaped;
    } catch (error) {
      this.metrics.backgroundJobFailed('room_run_reaper');
      this.log?.warn({ err: error }, 'run reaper failed');
      return 0;
    }
  }

  private wake(): void {
    if (this.stopped || this.filling) return;
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
    });
  }

  private async fill(): Promise<void> {
    while (!this.stopped && this.active.size < this.options.concurrency) {
      let claimed: ClaimedRun | undefined;
      try {
        claimed = await this.runs.claim(this.db, this.options.perRoom);
      } catch (error) {
        this.log?.warn({ err: error }, 'claiming a run failed');
        return;
      }
      if (!claimed) return;
      const id = claimed.run.id;
      const controller = new AbortController();
      const done = this.execute(claimed, controller).finally(() => {
        this.active.delete(id);
        this.wake();
      });
      this.active.set(id, { controller, done });
    }
  }

  /** Runs one claimed run to exactly one terminal status. */
  async execute(claimed: ClaimedRun, controller = new AbortController()): Promise<void> {
    const { run } = claimed;
    const heartbeat = setInterval(() => {
      this.runs.beat(this.db, run.id).then(
        (running) => {
          if (!running) controller.abort(new Error('the run ended elsewhere'));
        },
        (error: unknown) => this.log?.warn({ err: error, runId: run.id }, 'run heartbeat failed'),
      );
    }, this.options.heartbeatMs);
    heartbeat.unref();
    const stopping = () => controller.signal.aborted && controller.signal.reason === STOPPING;
    try {
      const request = await this.request(claimed, controller.signal);
      let reply = '';
      for await (const delta of withTimeout(
        this.agent.stream(request, controller.signal),
        this.options.timeoutMs,
        controller,
      )) {
        reply += delta;
        if (reply.length >= MAX_REPLY_CHARS) {
          reply = reply.slice(0, MAX_REPLY_CHARS);
          controller.abort();
          break;
        }
      }
      if (stopping()) {
        await this.runs.fail(this.db, run, STOPPED, claimed.actor);
      } else if (controller.signal.aborted && reply.length < MAX_REPLY_CHARS) {
        // cancelled or reaped elsewhere: its terminal status is already written
      } else if (!reply.trim()) {
        await this.runs.fail(this.db, run, 'The agent returned an empty reply.', claimed.actor);
      } else {
        await this.runs.complete(this.db, claimed, reply.trim());
      }
    } catch (error) {
      // Aborted mid-call (a tool call refused because the run ended): the same outcomes as an aborted stream.
      if (!(error instanceof TimeoutError) && controller.signal.aborted) {
        if (stopping())
          await this.runs
            .fail(this.db, run, STOPPED, claimed.actor)
            .catch((e: unknown) => this.log?.error({ err: e, runId: run.id }, 'could not record a failed run'));
        return;
      }
      const message =
        error instanceof TimeoutError
          ? `The agent did not answer within ${Math.round(this.options.timeoutMs / 1000)} s.`
          : `The agent failed: ${(error as Error).message}`;
      if (!(error instanceof TimeoutError) && !(error as { name?: string }).name?.startsWith('Provider'))
        this.log?.error({ err: error, runId: run.id }, 'run failed unexpectedly');
      await this.runs
        .fail(this.db, run, message, claimed.actor)
        .catch((e: unknown) => this.log?.error({ err: e, runId: run.id }, 'could not record a failed run'));
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The provider request: the role's instructions, the room's messages up to the trigger, the room's tools. */
  private async request(claimed: ClaimedRun, signal: AbortSignal) {
    const { run, agent, roleVersion } = claimed;
    const listing = await findListing(this.db, agent.membershipId);
    const trigger = await RoomMessage.query(this.db).findById(run.triggerMessageId);
    const history = await RoomMessage.query(this.db)
      .where('roomId', run.roomId)
      .whereNull('deletedAt')
      .where('seq', '<=', trigger?.seq ?? Number.MAX_SAFE_INTEGER)
      .orderBy('seq', 'desc')
      .limit(HISTORY);
    const messages: AgentMessage[] = history
      .reverse()
      .map((m) =>
        m.participantId === agent.id
          ? { role: 'assistant', content: m.body }
          : { role: 'user', content: `${m.actorDisplayName}: ${m.body}` },
      );
    return {
      model: listing?.model ?? 'local',
      instructions:
        roleVersion?.body ?? listing?.instructions ?? `You are ${agent.displayName}, an agent in a shared room.`,
      messages,
      tools: this.toolbox(claimed, signal),
    };
  }

  /**
   * The room's tools for one run: each call is recorded as a `tool.started` event and exactly one terminal
   * event, `maxToolCalls` calls at most. The cap holds before anything is recorded: a call past it is not run
   * and leaves no event (a model that asks for hundreds of calls in one answer adds at most the cap's worth to
   * the room's log); the model is told it reached the limit, since every call it made needs an answer.
   */
  private toolbox(claimed: ClaimedRun, signal: AbortSignal): AgentToolbox {
    const used = new Set<string>();
    const { maxToolCalls } = this.options;
    return {
      definitions: ROOM_TOOLS,
      call: async (call: AgentToolCall) => {
        if (used.size >= maxToolCalls)
          return `error: this run reached its limit of ${maxToolCalls} tool calls; answer with what you have.`;
        let id = call.id.slice(0, 200) || 'call';
        for (let n = 2; used.has(id); n++) id = `${call.id.slice(0, 190)}-${n}`; // ids must be unique within the run
        used.add(id);
        const record: ToolCallRecord = {
          id,
          name: (call.name || 'unknown').slice(0, 200),
          startedAt: this.clock.now(),
        };
        if (signal.aborted || !(await this.runs.toolStarted(this.db, claimed, record))) {
          throw new Error('the run ended');
        }
        try {
          const output = await runRoomTool(this.db, claimed.run.roomId, record.name, call.arguments);
          await this.runs.toolEnded(this.db, claimed, record, 'completed');
          return output;
        } catch (error) {
          if (!(error instanceof ToolError)) throw error;
          await this.runs.toolEnded(this.db, claimed, record, 'failed', error.message);
          return `error: ${error.message}`;
        }
      },
    };
  }
}

// A graceful stop as named phases, run in a fixed order (src/server.ts gives each its work):
//   stop-accepting      no new connections; idle keep-alive connections closed
//   cut-streams         live room streams cut (endless by design: their clients resume on another instance)
//   finish-requests     requests in flight answered (bounded by the stop's deadline)
//   finish-agent-calls  agent calls whose client left finish (bounded by the same deadline)
//   stop-workers        timers, run worker, agent-call heartbeats and voice cloning stopped (what is left refunded)
//   close-connections   Redis and the database closed
// Each phase's start and end are logged with its duration; a phase that fails is logged and the next ones
// still run. Who wants to follow the stop (readiness answers 503 from the first phase; a metrics gauge)
// reads `phase` or subscribes with `onPhase`.
import type { Logger } from 'pino';

export const SHUTDOWN_PHASES = [
  'stop-accepting',
  'cut-streams',
  'finish-requests',
  'finish-agent-calls',
  'stop-workers',
  'close-connections',
] as const;

export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

/** What a phase does; a phase without work is still logged, so every stop shows all six. */
export type PhaseWork = Partial<Record<ShutdownPhase, () => void | Promise<void>>>;

/** A phase's name when it starts, and `stopped` once the last one has ended. */
export type PhaseListener = (phase: ShutdownPhase | 'stopped') => void;

export interface ShutdownOutcome {
  /** The phases that failed, in order (empty: a clean stop). */
  failed: ShutdownPhase[];
  durationMs: number;
}

export class Shutdown {
  private current: ShutdownPhase | 'stopped' | undefined;
  private reason: string | undefined;
  private readonly listeners = new Set<PhaseListener>();

  /** The phase running now, `stopped` after the last, or undefined while the instance serves. */
  get phase(): ShutdownPhase | 'stopped' | undefined {
    return this.current;
  }

  /** Why the stop began (the signal), once it has. */
  get cause(): string | undefined {
    return this.reason;
  }

  /** Calls `listener` with each phase as it starts, and `stopped` at the end; returns the unsubscribe. */
  onPhase(listener: PhaseListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs every phase in order, once (a second call resolves with an empty outcome at once). */
  async run(work: PhaseWork, log: Logger, cause: string): Promise<ShutdownOutcome> {
    if (this.current !== undefined) return { failed: [], durationMs: 0 };
    this.reason = cause;
    const started = performance.now();
    const failed: ShutdownPhase[] = [];
    log.info({ signal: cause, phases: SHUTDOWN_PHASES }, 'shutting down');
    for (const phase of SHUTDOWN_PHASES) {
      this.enter(phase, log);
      const phaseStarted = performance.now();
      log.info({ phase }, 'shutdown phase started');
      try {
        await work[phase]?.();
        log.info({ phase, durationMs: elapsed(phaseStarted) }, 'shutdown phase ended');
      } catch (error) {
        failed.push(phase);
        log.error({ phase, durationMs: elapsed(phaseStarted), err: error }, 'shutdown phase failed');
      }
    }
    this.enter('stopped', log);
    const durationMs = elapsed(started);
    if (failed.length) log.error({ failed, durationMs }, 'shutdown failed');
    else log.info({ durationMs }, 'shut down');
    return { failed, durationMs };
  }

  private enter(phase: ShutdownPhase | 'stopped', log: Logger): void {
    this.current = phase;
    for (const listener of [...this.listeners]) {
      try {
        listener(phase);
      } catch (error) {
        log.warn({ err: error, phase }, 'a shutdown phase listener failed');
      }
    }
  }
}

const elapsed = (since: number) => Math.round(performance.now() - since);

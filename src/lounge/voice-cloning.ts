// The voice cloning job: lounges whose `voiceModelStatus` is `pending` get their voice cloned, on any instance.
// Cloning downloads a URL a user gave, which can take as long as the guarded fetch allows, so no transaction
// is open and no pooled connection is held meanwhile:
//
//   pending --claim (one statement)--> training --clone, no connection held--> ready | failed (one statement,
//                                                                              only while the claim holds)
//
// A claim carries a lease on the database's clock. A `training` job whose lease ran out (its process died) is
// claimed again by any instance, at most MAX_ATTEMPTS times in all; an instance that stops gives its claims
// back at once, and a server on the embedded database (one process) takes back what its predecessor left.
import type { Knex } from 'knex';
import type { CloneResult, VoiceProvider } from '../ai/voice-provider.js';
import { claimCloneJob, giveBackCloneJob, recordCloneOutcome, releaseCloneJobs, type CloneClaim } from './queries.js';

/** Claims of one job (process deaths, stops excluded) before it is failed instead of tried again. */
export const MAX_ATTEMPTS = 3;

export interface VoiceCloningOptions {
  /** Jobs this instance runs at once. */
  concurrency: number;
  /** How long one clone may take; a claim's lease is twice this. */
  timeoutMs: number;
}

export class VoiceCloning {
  private running = 0;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<number>>();

  constructor(
    private readonly db: Knex,
    private readonly voices: VoiceProvider,
    private readonly options: VoiceCloningOptions,
  ) {}

  /**
   * Starts workers up to the concurrency (none when that many already run) and resolves with how many jobs
   * they finished once they find no more. Jobs queued meanwhile are taken by the workers already running.
   */
  async run(): Promise<number> {
    const started: Array<Promise<number>> = [];
    while (this.running < this.options.concurrency && !this.stopping.signal.aborted) {
      this.running += 1;
      const worker = this.work().finally(() => {
        this.running -= 1;
        this.inFlight.delete(worker);
      });
      this.inFlight.add(worker);
      started.push(worker);
    }
    return (await Promise.all(started)).reduce((a, b) => a + b, 0);
  }

  /** Stops: downloads in flight are cut, and their jobs given back (`pending`) for another instance. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the server is stopping'));
    await Promise.allSettled([...this.inFlight]);
  }

  /** Gives back every claimed job: for a server on the embedded database, whose predecessor died with them. */
  async releaseAll(): Promise<number> {
    return releaseCloneJobs(this.db);
  }

  private async work(): Promise<number> {
    let done = 0;
    while (!this.stopping.signal.aborted) {
      // The oldest pending job, or a claimed one whose lease ran out, becomes this instance's.
      const claim = await claimCloneJob(this.db, (this.options.timeoutMs * 2) / 1000);
      if (!claim) break;
      if (await this.clone(claim)) done += 1;
    }
    return done;
  }

  /** Clones a claimed job and records the outcome; false when the job was given back instead. */
  private async clone(claim: CloneClaim): Promise<boolean> {
    if (claim.cloneAttempts > MAX_ATTEMPTS) {
      return recordCloneOutcome(this.db, claim, {
        status: 'failed',
        reason: `Cloning was interrupted ${MAX_ATTEMPTS} times; create the lounge again to retry.`,
      });
    }
    const limit = AbortSignal.timeout(this.options.timeoutMs);
    let result: CloneResult;
    try {
      result = await this.voices.clone(claim.voiceSamplesUrl, AbortSignal.any([this.stopping.signal, limit]));
    } catch (error) {
      if (this.stopping.signal.aborted) {
        await giveBackCloneJob(this.db, claim);
        return false;
      }
      if (limit.aborted)
        return recordCloneOutcome(this.db, claim, { status: 'failed', reason: 'Cloning the voice took too long.' });
      await recordCloneOutcome(this.db, claim, { status: 'failed', reason: 'The voice could not be cloned.' });
      throw error; // unexpected: logged by the job's runner
    }
    return recordCloneOutcome(this.db, claim, result);
  }
}

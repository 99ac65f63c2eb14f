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

/** Claims of one job (process deaths, stops excluded) before it is failed instead of tried again. */
export const MAX_ATTEMPTS = 3;

export interface VoiceCloningOptions {
  /** Jobs this instance runs at once. */
  concurrency: number;
  /** How long one clone may take; a claim's lease is twice this. */
  timeoutMs: number;
}

interface Claim {
  communityId: string;
  voiceSamplesUrl: string;
  cloneClaim: string;
  cloneAttempts: number;
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
    return this.db('lounges')
      .where('voiceModelStatus', 'training')
      .update({ voiceModelStatus: 'pending', cloneClaim: null, cloneClaimedUntil: null });
  }

  private async work(): Promise<number> {
    let done = 0;
    while (!this.stopping.signal.aborted) {
      const claim = await this.claim();
      if (!claim) break;
      if (await this.clone(claim)) done += 1;
    }
    return done;
  }

  /** One statement: the oldest pending job, or a claimed one whose lease ran out, becomes this instance's. */
  private async claim(): Promise<Claim | undefined> {
    const { rows } = (await this.db.raw(
      `
      update lounges set voice_model_status = 'training', clone_claim = gen_random_uuid(),
        clone_claimed_until = now() + make_interval(secs => ?), clone_attempts = clone_attempts + 1
      where community_id = (
        select community_id from lounges
        where voice_model_status = 'pending' or (voice_model_status = 'training' and clone_claimed_until < now())
        order by clone_claimed_until nulls first limit 1 for update skip locked)
      returning community_id as "communityId", voice_samples_url as "voiceSamplesUrl", clone_claim as "cloneClaim", clone_attempts as "cloneAttempts"`,
      [(this.options.timeoutMs * 2) / 1000],
    )) as { rows: Claim[] };
    return rows[0];
  }

  /** Clones a claimed job and records the outcome; false when the job was given back instead. */
  private async clone(claim: Claim): Promise<boolean> {
    if (claim.cloneAttempts > MAX_ATTEMPTS) {
      return this.record(claim, {
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
        await this.giveBack(claim);
        return false;
      }
      if (limit.aborted) return this.record(claim, { status: 'failed', reason: 'Cloning the voice took too long.' });
      await this.record(claim, { status: 'failed', reason: 'The voice could not be cloned.' });
      throw error; // unexpected: logged by the job's runner
    }
    return this.record(claim, result);
  }

  /** Writes the outcome while the claim holds (a job taken over after its lease ran out is not overwritten). */
  private async record(claim: Claim, result: CloneResult): Promise<boolean> {
    const updated = await this.db('lounges')
      .where({ communityId: claim.communityId, cloneClaim: claim.cloneClaim, voiceModelStatus: 'training' })
      .update(
        result.status === 'ready'
          ? {
              voiceModelStatus: 'ready',
              voiceModelId: result.voiceModelId,
              voiceModelError: null,
              cloneClaim: null,
              cloneClaimedUntil: null,
            }
          : { voiceModelStatus: 'failed', voiceModelError: result.reason, cloneClaim: null, cloneClaimedUntil: null },
      );
    return updated > 0;
  }

  /** Back to `pending` for any instance; a stop is not one of the job's attempts. */
  private async giveBack(claim: Claim): Promise<void> {
    await this.db('lounges')
      .where({ communityId: claim.communityId, cloneClaim: claim.cloneClaim, voiceModelStatus: 'training' })
      .update({
        voiceModelStatus: 'pending',
        cloneClaim: null,
        cloneClaimedUntil: null,
        cloneAttempts: this.db.raw('clone_attempts - 1'),
      });
  }
}

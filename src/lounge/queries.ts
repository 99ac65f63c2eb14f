// The lounge area's statements in plain knex and raw SQL (its Objection model, models.ts, does the rest): voice
// usage, the price the renewal job reads, and the voice cloning job's claims (voice-cloning.ts), each one
// statement conditional on the claim it holds.
import type { CloneResult } from '../ai/voice-provider.js';
import type { Db, Transaction } from '../platform/transactions.js';

// Voice usage and price.

/** Milliseconds of voice the lounge's replies used since `since`: all of them, or those to `userId`. */
export async function voiceUsedMs(db: Db, loungeId: string, since: Date, userId?: string): Promise<number> {
  const [{ sum }] = (await db('lounge_voice_usage')
    .where(userId === undefined ? { loungeId } : { loungeId, userId })
    .where('createdAt', '>=', since)
    .sum<{ sum: string | null }[]>({ sum: 'durationMs' })) as [{ sum: string | null }];
  return Number(sum ?? 0);
}

/** Records the voice of one reply, in the transaction that stores it. */
export async function recordVoiceUsage(
  trx: Transaction,
  usage: { loungeId: string; userId: string; conversationId: string; durationMs: number; createdAt: Date },
): Promise<void> {
  await trx('lounge_voice_usage').insert(usage);
}

/** The lounge's monthly subscription price in cents, 0 when there is no such lounge. */
export async function subscriptionPriceCents(trx: Transaction, loungeId: string): Promise<number> {
  const lounge = await trx('lounges')
    .where('communityId', loungeId)
    .first<{ subscriptionPriceCents: string | number } | undefined>('subscriptionPriceCents');
  return Number(lounge?.subscriptionPriceCents ?? 0);
}

// Voice cloning claims.

/** A claimed cloning job. */
export interface CloneClaim {
  communityId: string;
  voiceSamplesUrl: string;
  cloneClaim: string;
  cloneAttempts: number;
}

/**
 * One statement: the oldest pending job, or a claimed one whose lease ran out, becomes the caller's, its lease
 * `leaseSeconds` on the database's clock, its attempts counted. Undefined when there is none.
 */
export async function claimCloneJob(db: Db, leaseSeconds: number): Promise<CloneClaim | undefined> {
  const { rows } = (await db.raw(
    `
      update lounges set voice_model_status = 'training', clone_claim = gen_random_uuid(),
        clone_claimed_until = now() + make_interval(secs => ?), clone_attempts = clone_attempts + 1
      where community_id = (
        select community_id from lounges
        where voice_model_status = 'pending' or (voice_model_status = 'training' and clone_claimed_until < now())
        order by clone_claimed_until nulls first limit 1 for update skip locked)
      returning community_id as "communityId", voice_samples_url as "voiceSamplesUrl", clone_claim as "cloneClaim", clone_attempts as "cloneAttempts"`,
    [leaseSeconds],
  )) as { rows: CloneClaim[] };
  return rows[0];
}

/**
 * Writes a job's outcome while the claim holds (a job taken over after its lease ran out is not overwritten).
 * False when it no longer held.
 */
export async function recordCloneOutcome(db: Db, claim: CloneClaim, result: CloneResult): Promise<boolean> {
  const updated = await db('lounges')
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

/** Gives a claimed job back (`pending`, for any instance) while the claim holds; a stop is not one of its attempts. */
export async function giveBackCloneJob(db: Db, claim: CloneClaim): Promise<void> {
  await db('lounges')
    .where({ communityId: claim.communityId, cloneClaim: claim.cloneClaim, voiceModelStatus: 'training' })
    .update({
      voiceModelStatus: 'pending',
      cloneClaim: null,
      cloneClaimedUntil: null,
      cloneAttempts: db.raw('clone_attempts - 1'),
    });
}

/** Gives back every claimed job (`training`, whoever claimed it); returns how many. */
export async function releaseCloneJobs(db: Db): Promise<number> {
  return db('lounges')
    .where('voiceModelStatus', 'training')
    .update({ voiceModelStatus: 'pending', cloneClaim: null, cloneClaimedUntil: null });
}

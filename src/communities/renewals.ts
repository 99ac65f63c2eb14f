// Monthly renewals. Every instance runs this job; each due membership is charged by exactly one of them, once
// per month: rows are claimed with `FOR UPDATE SKIP LOCKED`, and the paid month's natural key
// (community, member, month start) is inserted in the same transaction as the charge.
//   paid month ended, fee covered     -> charged, `active` until the next month ends
//   not covered                       -> `past_due` (access kept), retried on every run
//   still not covered 7 days after    -> `cancelled` (403 SUBSCRIPTION_INACTIVE until joinCommunity renews it)
//   the community's monthlyFee is 0   -> `none`, nothing to pay
//   cancelled by the member (renews=false) -> `none` when the paid month ends
// A month costs the lower of the current price and the member's own monthly price (what they agreed to when
// they joined or subscribed), which then becomes their price: a lowered fee applies at once, a raised one
// never reaches a member without their consent. A lounge's current price is its subscriptionPriceCents
// (cents are the wallet's minor units). Archived communities renew nothing.
import type { Knex } from 'knex';
import type { Clock } from '../platform/clock.js';
import { inTransaction } from '../platform/transactions.js';
import { ApiError } from '../platform/errors.js';
import { failpoint } from '../platform/failpoints.js';
import type { WalletService } from '../wallet/index.js';
import { Community, CommunityMember } from './models.js';
import { addMonths } from './months.js';
import { claimDueMembers, insertPaidMonthIfAbsent } from './queries.js';
import type { CommunitiesService } from './service.js';

export const PAST_DUE_GRACE_MS = 7 * 24 * 3600_000;
const BATCH = 50;

export interface RenewalRun {
  charged: number;
  pastDue: number;
  cancelled: number;
  freed: number;
}

/** A lounge's current monthly price in minor units, read in the renewal's transaction (the lounge area's). */
export type MonthlyPrice = (trx: Knex.Transaction, communityId: string) => Promise<number>;

export class RenewalJob {
  private loungePrice: MonthlyPrice | undefined;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly communities: CommunitiesService,
    private readonly wallet: WalletService,
  ) {}

  /** Lounges are priced by their own area (which depends on this one): it says here how. */
  priceLoungesWith(price: MonthlyPrice): void {
    this.loungePrice = price;
  }

  /** Renews every membership due now; returns what it did. */
  async runOnce(): Promise<RenewalRun> {
    const run: RenewalRun = { charged: 0, pastDue: 0, cancelled: 0, freed: 0 };
    const now = this.clock.now();
    const retried = new Set<string>(); // past-due members already tried in this run
    for (;;) {
      const claimed = await inTransaction(this.db, undefined, async (trx) => {
        const due = await claimDueMembers(trx, now, [...retried], BATCH);
        for (const member of due) {
          retried.add(member.id);
          await this.renew(trx, member, now, run);
        }
        if (due.length > 0) await failpoint('renewal.charge');
        return due.length;
      });
      if (claimed < BATCH) return run;
    }
  }

  /** What a month costs: the community's monthlyFee, or a lounge's subscription price. */
  private async monthlyPrice(trx: Knex.Transaction, community: Community): Promise<number> {
    if (community.type !== 'lounge') return Number(community.monthlyFeeMinor);
    if (!this.loungePrice) throw new Error('RenewalJob: no lounge price (priceLoungesWith) was given');
    return this.loungePrice(trx, community.id);
  }

  private async renew(trx: Knex.Transaction, member: CommunityMember, now: Date, run: RenewalRun): Promise<void> {
    const community = await Community.query(trx).findById(member.communityId);
    const current = await this.monthlyPrice(trx, community!);
    const fee = member.monthlyPriceMinor === null ? current : Math.min(current, Number(member.monthlyPriceMinor));
    if (fee === 0 || !member.renews) {
      await CommunityMember.query(trx).patchAndFetchById(member.id, {
        subscriptionStatus: 'none',
        paidUntil: null,
        renews: true,
        monthlyPriceMinor: null,
      });
      run.freed += 1;
      return;
    }
    const startsAt = member.paidUntil!;
    const endsAt = addMonths(startsAt, 1);
    try {
      await trx.transaction(async (sp) => {
        // Already paid (by an earlier run that died before updating the member): only the member row is behind.
        if (await insertPaidMonthIfAbsent(sp, member.communityId, member.userId, startsAt, endsAt)) {
          const what = community!.type === 'lounge' ? 'Lounge subscription' : 'Monthly fee';
          await this.wallet.apply(
            this.communities.feeMovements(community!, member.userId, fee, 'monthly_fee', `${what}: ${community!.name}`),
            sp,
          );
        }
      });
      await CommunityMember.query(trx).patchAndFetchById(member.id, {
        subscriptionStatus: 'active',
        paidUntil: endsAt,
        monthlyPriceMinor: fee,
      });
      run.charged += 1;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 402) throw error;
      if (now.getTime() - startsAt.getTime() >= PAST_DUE_GRACE_MS) {
        await CommunityMember.query(trx).patchAndFetchById(member.id, {
          subscriptionStatus: 'cancelled',
          paidUntil: null,
        });
        run.cancelled += 1;
      } else {
        await CommunityMember.query(trx).patchAndFetchById(member.id, { subscriptionStatus: 'past_due' });
        run.pastDue += 1;
      }
    }
  }
}

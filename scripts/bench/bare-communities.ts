// The bare server's communities endpoints. The message history page runs the area's own reads and the page's
// knex baseline (src/communities/reads.ts, queries.ts; CommunitiesService.messages renders the same JSON in
// PostgreSQL). The paid join reads the
// community and the membership with the area's reads, but its wallet moves and paid-month lookup are still
// written here in knex (the parity check before every run stops the bench when src/ changes them). The CS
// queue is in bare-cs.ts.
import type { Knex } from 'knex';
import { communityMessagePage, findCommunity, findMember } from '../../src/communities/index.js';

/** An HTTP answer: status and JSON body. */
export type Answer = { status: number; body?: unknown };

export class BareCommunities {
  constructor(
    private readonly db: Knex,
    private readonly platformFeeShare: number,
  ) {}

  /** One transaction: the membership, the fee's wallet moves with their ledger entries, the member count. */
  async join(userId: string, id: string): Promise<Answer> {
    return this.db.transaction(async (t) => {
      const community = await findCommunity(t, id);
      if (!community) return { status: 404 };
      if (await findMember(t, id, userId, { lock: 'update' })) return { status: 409 };
      const now = new Date();
      await t.transaction((sp) =>
        sp('community_members')
          .insert({ communityId: id, userId, role: 'member', subscriptionStatus: 'none', joinedAt: now })
          .returning('id'),
      );
      const fee = Number(community.joinFeeMinor);
      if (fee > 0) {
        const income = fee - Math.ceil(fee * this.platformFeeShare - 1e-9);
        await t('wallets')
          .whereIn('userId', [userId, community.creatorId].sort())
          .orderBy('userId')
          .forUpdate()
          .select('userId');
        const ref = { referenceType: 'community', referenceId: id };
        const description = `Join fee: ${community.name}`;
        if (!(await this.move(t, userId, -fee, 'join_fee', description, ref, now)))
          throw Object.assign(new Error('insufficient balance'), { status: 402 });
        if (income > 0)
          await this.move(t, community.creatorId, income, 'fee_income', `${description} (paid by a member)`, ref, now);
      }
      // A month paid before leaving would resume: the platform looks for one on every join.
      await t('community_paid_months')
        .where({ communityId: id, userId })
        .where('startsAt', '<=', now)
        .where('endsAt', '>', now)
        .orderBy('endsAt', 'desc')
        .select('community_paid_months.*');
      await t('community_members')
        .where({ communityId: id, userId })
        .update({ subscriptionStatus: 'none', paidUntil: null, monthlyPriceMinor: null });
      await t('communities').where('communities.id', id).increment('memberCount', 1);
      return { status: 200, body: { success: true } };
    });
  }

  /** The conditional balance update and its ledger entry; false when the balance does not cover a charge. */
  private async move(
    t: Knex.Transaction,
    userId: string,
    amount: number,
    kind: string,
    description: string,
    ref: object,
    now: Date,
  ): Promise<boolean> {
    const updated = await t('wallets')
      .where('userId', userId)
      .where('balanceMinor', '>=', Math.max(0, -amount))
      .update({ balanceMinor: t.raw('balance_minor + ?', [amount]), updatedAt: now })
      .returning('balanceMinor');
    if (updated.length === 0) return false;
    await t('ledger_entries')
      .insert({
        userId,
        amountMinor: amount,
        balanceAfterMinor: Number(updated[0].balanceMinor),
        kind,
        description,
        ...ref,
        createdAt: now,
      })
      .returning('*');
    return true;
  }

  async messages(userId: string, id: string, limit: number): Promise<Answer> {
    if (!(await findCommunity(this.db, id))) return { status: 404 };
    if (!(await findMember(this.db, id, userId))) return { status: 403 };
    return { status: 200, body: await communityMessagePage(this.db, id, { limit }, (audio) => `/api/audio/${audio}`) };
  }
}

const COMMUNITY_PATH = /^\/api\/communities\/([^/]+)\/(join|messages)$/;

/** Routes the two endpoints; undefined for any other path. */
export async function routeCommunities(
  q: BareCommunities,
  method: string,
  path: string,
  query: Record<string, unknown>,
  userId: string | undefined,
): Promise<Answer | undefined> {
  const match = COMMUNITY_PATH.exec(path);
  if (!match) return undefined;
  if (!userId) return { status: 401 };
  const [, id, action] = match as unknown as [string, string, string];
  if (method === 'POST' && action === 'join') return q.join(userId, id);
  if (method === 'GET' && action === 'messages') return q.messages(userId, id, Number(query.limit ?? 50));
  return undefined;
}

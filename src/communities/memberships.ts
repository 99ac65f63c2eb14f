// What other areas (lounge, official, admin) change or count of communities and their members, always in the
// caller's transaction: they never name these tables themselves.
import type { Db, Transaction } from '../platform/transactions.js';
import { Community, CommunityMember, type MemberRole, type SubscriptionStatus } from './models.js';

/**
 * Adds the user as a member with this role, counting them in `memberCount`; a member already there (a
 * concurrent add included) is left as is. True when this call added them.
 */
export async function addMember(
  trx: Transaction,
  communityId: string,
  userId: string,
  role: MemberRole,
  joinedAt: Date,
): Promise<boolean> {
  const inserted = await trx.raw(
    `insert into community_members (community_id, user_id, role, subscription_status, joined_at) values (?, ?, ?, 'none', ?)
     on conflict (community_id, user_id) do nothing returning id`,
    [communityId, userId, role, joinedAt],
  );
  if ((inserted as { rows: unknown[] }).rows.length === 0) return false;
  await Community.query(trx).findById(communityId).increment('memberCount', 1);
  return true;
}

export async function setMemberRole(
  trx: Transaction,
  communityId: string,
  userId: string,
  role: MemberRole,
): Promise<void> {
  await CommunityMember.query(trx).findOne({ communityId, userId }).patch({ role });
}

/** Changes a member's subscription; returns the member as it now is. */
export async function updateSubscription(
  trx: Transaction,
  memberId: string,
  patch: Partial<Pick<CommunityMember, 'subscriptionStatus' | 'paidUntil' | 'renews' | 'monthlyPriceMinor'>>,
): Promise<CommunityMember> {
  return CommunityMember.query(trx).patchAndFetchById(memberId, patch);
}

export async function countMembers(
  db: Db,
  communityId: string,
  where: { subscriptionStatus?: SubscriptionStatus } = {},
): Promise<number> {
  return CommunityMember.query(db)
    .where({ communityId, ...where })
    .resultSize();
}

/** Marks the community verified (an approved verification request). */
export async function markVerified(trx: Transaction, communityId: string, now: Date): Promise<void> {
  await trx('communities').where('id', communityId).update({ isVerified: true, updatedAt: now });
}

/** Communities' names: the relation to join (`.join(communityNames(db).as('c'), 'c.id', ...)`). */
export const communityNames = (db: Db) => db('communities').select('id', 'name');

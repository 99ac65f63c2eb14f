// What other areas (lounge, official, admin) change or count of communities and their members, always in the
// caller's transaction: they never name these tables themselves. (Their plain statements, `markVerified` and
// `communityNames` among them, are in queries.ts.)
import type { Db, Transaction } from '../platform/transactions.js';
import { Community, CommunityMember, type MemberRole, type SubscriptionStatus } from './models.js';
import { insertMemberIfAbsent } from './queries.js';

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
  if (!(await insertMemberIfAbsent(trx, communityId, userId, role, joinedAt))) return false;
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

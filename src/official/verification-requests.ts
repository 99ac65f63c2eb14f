// Business verification requests as others read and decide them: communities asks whether one is pending,
// admin lists and reviews them (the community's verified flag is the communities area's, set by admin).
import type * as T from '../../generated/server/schemas.gen.js';
import { communityNames } from '../communities/index.js';
import type { PageQuery } from '../platform/pages.js';
import type { Db, Transaction } from '../platform/transactions.js';

interface RequestRow {
  id: string;
  communityId: string;
  requesterId: string;
  businessName: string | null;
  businessRegistration: string | null;
  documentsUrl: string | null;
  status: T.VerificationRequest['status'];
  reviewerNotes: string | null;
  communityName: string;
  createdAt: Date;
  reviewedAt: Date | null;
}

const toRequest = (r: RequestRow): T.VerificationRequest => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  reviewedAt: r.reviewedAt?.toISOString() ?? null,
});

export async function hasPendingVerification(db: Db, communityId: string): Promise<boolean> {
  return !!(await db('verification_requests').where({ communityId, status: 'pending' }).first('id'));
}

/** A page of requests, newest first, with their community's name. */
export async function listVerificationRequests(
  db: Db,
  query: PageQuery & { status?: T.VerificationRequest['status'] },
): Promise<T.VerificationRequestList> {
  const { page, limit, status } = query;
  const matching = db('verification_requests as r');
  if (status) matching.where('r.status', status);
  const [rows, [counted]] = await Promise.all([
    matching
      .clone()
      .join(communityNames(db).as('c'), 'c.id', 'r.communityId')
      .select(
        'r.id',
        'r.communityId',
        'r.requesterId',
        'r.businessName',
        'r.businessRegistration',
        'r.documentsUrl',
        'r.status',
        'r.reviewerNotes',
        'c.name as communityName',
        'r.createdAt',
        'r.reviewedAt',
      )
      .orderBy([
        { column: 'r.createdAt', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(limit)
      .offset((page - 1) * limit),
    matching.clone().count<{ count: number | string }[]>({ count: '*' }),
  ]);
  const total = Number(counted?.count ?? 0);
  return { requests: (rows as RequestRow[]).map(toRequest), total, page, totalPages: Math.ceil(total / limit) };
}

/**
 * Records a decision on a pending request. Conditional on `pending`: of two concurrent reviews, the second
 * updates nothing. Returns the request's community, or why nothing was decided.
 */
export async function reviewVerificationRequest(
  trx: Transaction,
  id: string,
  decision: {
    status: T.VerificationRequestReview['status'];
    reviewerNotes: string | null;
    reviewerId: string;
    reviewedAt: Date;
  },
): Promise<{ communityId: string } | 'not-found' | 'already-reviewed'> {
  const updated = await trx('verification_requests')
    .where({ id, status: 'pending' })
    .update(decision)
    .returning('communityId');
  if (updated.length > 0) return updated[0] as { communityId: string };
  return (await trx('verification_requests').where('id', id).first('id')) ? 'already-reviewed' : 'not-found';
}

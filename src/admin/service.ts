// Admin review of business verification requests. A decision is final; approval marks the community verified
// in the review's transaction. Each request records who reviewed it and when.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import { conflict, notFound } from '../platform/errors.js';
import type { PageQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';

interface RequestRow {
  id: string; communityId: string; requesterId: string; businessName: string | null; businessRegistration: string | null;
  documentsUrl: string | null; status: T.VerificationRequest['status']; reviewerNotes: string | null; communityName: string;
  createdAt: Date; reviewedAt: Date | null;
}

const toRequest = (r: RequestRow): T.VerificationRequest => ({ ...r, createdAt: r.createdAt.toISOString(), reviewedAt: r.reviewedAt?.toISOString() ?? null });

export class VerificationReviewService {
  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  async list(query: PageQuery & { status?: T.VerificationRequest['status'] }): Promise<T.VerificationRequestList> {
    const { page, limit, status } = query;
    const matching = this.db('verification_requests as r');
    if (status) matching.where('r.status', status);
    const [rows, [counted]] = await Promise.all([
      matching.clone().join('communities as c', 'c.id', 'r.communityId')
        .select('r.id', 'r.communityId', 'r.requesterId', 'r.businessName', 'r.businessRegistration', 'r.documentsUrl', 'r.status', 'r.reviewerNotes', 'c.name as communityName', 'r.createdAt', 'r.reviewedAt')
        .orderBy([{ column: 'r.createdAt', order: 'desc' }, { column: 'r.id', order: 'desc' }]).limit(limit).offset((page - 1) * limit),
      matching.clone().count<{ count: number | string }[]>({ count: '*' }),
    ]);
    const total = Number(counted?.count ?? 0);
    return { requests: (rows as RequestRow[]).map(toRequest), total, page, totalPages: Math.ceil(total / limit) };
  }

  async review(admin: Principal, id: string, input: T.VerificationRequestReview, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      // Conditional on `pending`: of two concurrent reviews, the second updates nothing and gets the 409.
      const updated = await t('verification_requests').where({ id, status: 'pending' })
        .update({ status: input.status, reviewerNotes: input.reviewerNotes ?? null, reviewerId: admin.user.id, reviewedAt: this.clock.now() })
        .returning('communityId');
      if (updated.length === 0) {
        const exists = await t('verification_requests').where('id', id).first('id');
        if (!exists) throw notFound('NOT_FOUND', 'No such verification request.');
        throw conflict('ALREADY_REVIEWED', 'This request has already been reviewed; a decision is final.');
      }
      if (input.status === 'approved') {
        await t('communities').where('id', (updated[0] as { communityId: string }).communityId).update({ isVerified: true, updatedAt: this.clock.now() });
      }
    });
  }
}

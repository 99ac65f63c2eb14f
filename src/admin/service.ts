// Admin review of business verification requests (the official area's), a decision final; approval marks the
// community verified (the communities area's) in the review's transaction. Each request records who reviewed it and when.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import { markVerified } from '../communities/index.js';
import { listVerificationRequests, reviewVerificationRequest } from '../official/index.js';
import type { Clock } from '../platform/clock.js';
import { conflict, notFound } from '../platform/errors.js';
import type { PageQuery } from '../platform/pages.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Transaction } from '../platform/transactions.js';

export class VerificationReviewService {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  async list(query: PageQuery & { status?: T.VerificationRequest['status'] }): Promise<T.VerificationRequestList> {
    return listVerificationRequests(this.db, query);
  }

  async review(admin: Principal, id: string, input: T.VerificationRequestReview, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      // Conditional on `pending`: of two concurrent reviews, the second updates nothing and gets the 409.
      const decided = await reviewVerificationRequest(t, id, {
        status: input.status,
        reviewerNotes: input.reviewerNotes ?? null,
        reviewerId: admin.user.id,
        reviewedAt: this.clock.now(),
      });
      if (decided === 'not-found') throw notFound('NOT_FOUND', 'No such verification request.');
      if (decided === 'already-reviewed')
        throw conflict('ALREADY_REVIEWED', 'This request has already been reviewed; a decision is final.');
      if (input.status === 'approved') await markVerified(t, decided.communityId, this.clock.now());
    });
  }
}

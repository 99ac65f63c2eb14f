import type { HandlersOf } from '../http/context.js';
import type { VerificationReviewService } from './service.js';

export const adminHandlers = (reviews: VerificationReviewService) =>
  ({
    listVerificationRequests: async ({ query }) => ({ status: 200, body: await reviews.list(query) }),

    reviewVerificationRequest: async ({ path, body }, ctx) => {
      await reviews.review(ctx.principal, path.id, body);
      return { status: 200, body: { success: true } };
    },
  }) satisfies HandlersOf<'admin'>;

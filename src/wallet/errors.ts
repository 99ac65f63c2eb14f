// The wallet area's error codes.
import { ApiError, notFound } from '../platform/errors.js';

export const insufficientBalance = () =>
  new ApiError(402, 'INSUFFICIENT_BALANCE', 'Your wallet balance does not cover this charge; nothing was charged.');
export const walletUserNotFound = () => notFound('NOT_FOUND', 'No such user.');

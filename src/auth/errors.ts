// The auth area's error codes.
import { ApiError, conflict, notFound } from '../platform/errors.js';

export const MAX_ACTIVE_API_KEYS = 25;

export const invalidCredentials = () => new ApiError(401, 'INVALID_CREDENTIALS', 'The email or password is incorrect.');
export const emailTaken = () => conflict('EMAIL_TAKEN', 'An account with this email already exists.');
export const apiKeyLimit = () =>
  conflict('API_KEY_LIMIT', `You already have ${MAX_ACTIVE_API_KEYS} active API keys; delete one first.`);
export const apiKeyNotFound = () => notFound('NOT_FOUND', 'No such API key.');

// The one error type services throw. It carries a documented status and a stable code; the HTTP layer maps
// it once to the wire shape of the operation's API (problem+json, or FastAPI's 422 for Rooms validation).
// A code is a ProblemCode: one the errors guide explains (docs/guides/errors.md, "Problem codes"), so a new
// code does not compile until it is documented there.
import type { ProblemCode } from '../../generated/server/problem-codes.gen.js';
import type { Problem } from '../../generated/server/schemas.gen.js';

/** Members a problem may carry besides its code and message (the Problem schema names each one). */
export type ProblemExtensions = Pick<Problem, 'currentPrices'>;

export interface FieldError {
  in: 'body' | 'query' | 'path' | 'header' | 'cookie';
  /** Dotted path inside the body (`definition.iframeUrl`), or the parameter name. */
  field: string;
  message: string;
  /** FastAPI error type for the Rooms API (`missing`, `string_too_long`, ...). */
  type?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    message: string,
    readonly fieldErrors?: FieldError[],
    readonly headers?: Record<string, string>,
    readonly extensions?: ProblemExtensions,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const validationFailed = (fieldErrors: FieldError[], message = 'The request is invalid: see errors.') =>
  new ApiError(400, 'VALIDATION_FAILED', message, fieldErrors);
export const unauthenticated = (message = 'Sign in or send a valid session token or API key.') =>
  new ApiError(401, 'UNAUTHENTICATED', message);
export const forbidden = (code: ProblemCode = 'FORBIDDEN', message = 'You are not allowed to do this.') =>
  new ApiError(403, code, message);
export const notFound = (
  code: ProblemCode = 'NOT_FOUND',
  message = 'The resource does not exist or is not visible to you.',
) => new ApiError(404, code, message);
export const conflict = (code: ProblemCode, message: string) => new ApiError(409, code, message);
export const tooManyRequests = (retryAfterSeconds: number) =>
  new ApiError(429, 'RATE_LIMITED', 'Too many attempts; retry later.', undefined, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

// The wire shapes of errors: problem+json (RFC 9457 with a stable `code`) everywhere, and FastAPI's
// `{"detail":[{loc,msg,type}]}` with status 422 for validation failures of the Rooms API.
import { problemCodes } from '../../generated/server/problem-codes.gen.js';
import { ApiError, type FieldError } from '../platform/errors.js';

const TITLES: Record<number, string> = {
  400: 'Validation failed',
  401: 'Authentication required',
  402: 'Insufficient balance',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Unprocessable entity',
  429: 'Too many requests',
  500: 'Internal server error',
  501: 'Not implemented',
  503: 'Service unavailable',
};

/**
 * What one validation failure reports at most (the contract's `maxItems`): a request with thousands of bad
 * inputs (unknown query parameters, fields of a free-form object) gets the first ones, not a body as large.
 */
export const MAX_FIELD_ERRORS = 100;
/** The longest FastAPI `loc`: where the input was, then a body nests at most 64 levels. */
export const MAX_LOC_LENGTH = 65;

export interface WireError {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function toWireError(
  error: ApiError,
  style: 'problem' | 'fastapi',
  instance: string,
  requestId: string,
  traceId?: string,
): WireError {
  const fieldErrors = error.fieldErrors?.slice(0, MAX_FIELD_ERRORS);
  if (style === 'fastapi' && fieldErrors && error.status === 400) {
    return {
      status: 422,
      contentType: 'application/json',
      body: { detail: fieldErrors.map(fastApiDetail) },
    };
  }
  const omitted = (error.fieldErrors?.length ?? 0) - (fieldErrors?.length ?? 0);
  const body: Record<string, unknown> = {
    type: problemCodes[error.code].type,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    code: error.code,
    detail:
      omitted > 0
        ? `${error.message} Only the first ${MAX_FIELD_ERRORS} of ${error.fieldErrors!.length} invalid inputs are listed.`
        : error.message,
    instance,
    requestId,
  };
  if (traceId) body.traceId = traceId;
  if (error.extensions) Object.assign(body, error.extensions);
  if (fieldErrors)
    body.errors = fieldErrors.map(({ in: location, field, message }) => ({ in: location, field, message }));
  return { status: error.status, contentType: 'application/problem+json', body, headers: error.headers };
}

/** A body field's dotted path becomes its steps; a parameter's name is one step, dots and all. */
function fastApiDetail(error: FieldError) {
  const loc: Array<string | number> = [error.in];
  if (error.field && error.in !== 'body') loc.push(error.field);
  else if (error.field) loc.push(...error.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)));
  return { loc: loc.slice(0, MAX_LOC_LENGTH), msg: error.message, type: error.type ?? 'value_error' };
}

export const internalError = () =>
  new ApiError(500, 'INTERNAL_ERROR', 'An unexpected error occurred. Quote the request id when reporting it.');

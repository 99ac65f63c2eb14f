// Reads a JSON request body, refusing more than the configured limit (413) and unparseable JSON (400).
import type Koa from 'koa';
import { ApiError } from '../platform/errors.js';

export const NO_BODY = Symbol('no body');

export async function readJsonBody(koa: Koa.Context, limitBytes: number): Promise<unknown> {
  const declared = Number(koa.get('content-length') || NaN);
  if (declared > limitBytes) throw payloadTooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of koa.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw payloadTooLarge(limitBytes);
    chunks.push(chunk);
  }
  if (size === 0) return NO_BODY;
  const type = koa.get('content-type');
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new ApiError(400, 'INVALID_JSON', `The request body must be JSON (Content-Type: application/json), not ${type.split(';')[0]}.`);
  }
  try {
    return JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  } catch {
    throw new ApiError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  }
}

const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${Math.round(limit / 1024)} KB.`);

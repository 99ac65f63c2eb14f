// Reads a JSON request body: more than the configured limit is a 413; anything that is not JSON as sent
// (another content type, malformed UTF-8, malformed JSON) is refused in the API's shape: 400 INVALID_JSON,
// or for the Rooms API FastAPI's 422 with a `json_invalid` detail.
import type Koa from 'koa';
import { ApiError, validationFailed } from '../platform/errors.js';

export const NO_BODY = Symbol('no body');

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export async function readJsonBody(koa: Koa.Context, limitBytes: number, style: 'problem' | 'fastapi'): Promise<unknown> {
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
    throw notJson(style, `The request body must be JSON (Content-Type: application/json), not ${type.split(';')[0]}.`);
  }
  let text: string;
  try {
    text = utf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw notJson(style, 'The request body is not valid UTF-8.');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw notJson(style, 'The request body is not valid JSON.');
  }
}

function notJson(style: 'problem' | 'fastapi', message: string): ApiError {
  if (style === 'fastapi') return validationFailed([{ in: 'body', field: '', message: `JSON decode error: ${message}`, type: 'json_invalid' }]);
  return new ApiError(400, 'INVALID_JSON', message);
}

const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${Math.round(limit / 1024)} KB.`);

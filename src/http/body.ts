// Reads a JSON request body: more than the configured limit is a 413; anything that is not JSON as sent
// (another content type, malformed UTF-8, malformed JSON, nesting deeper than MAX_JSON_DEPTH) is refused in
// the API's shape: 400 INVALID_JSON, or for the Rooms API FastAPI's 422 with a `json_invalid` detail.
import type Koa from 'koa';
import { ApiError, validationFailed } from '../platform/errors.js';

export const NO_BODY = Symbol('no body');

/**
 * Levels of nested arrays and objects a body may have (the body itself is the first; docs/guides/errors.md).
 * Everything that walks a parsed body (the string checks, the validators, the idempotency hash,
 * JSON.stringify, PostgreSQL's jsonb) recurses, and a few thousand levels overflow its stack.
 */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export async function readJsonBody(
  koa: Koa.Context,
  limitBytes: number,
  style: 'problem' | 'fastapi',
): Promise<unknown> {
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
  const bytes = Buffer.concat(chunks, size);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw notJson(style, 'The request body is not valid UTF-8.');
  }
  const tooDeep = tooDeepAt(bytes, MAX_JSON_DEPTH);
  if (tooDeep >= 0) {
    const position = utf8.decode(bytes.subarray(0, tooDeep)).length; // in characters, as JSON.parse counts
    throw notJson(
      style,
      `The request body is nested more than ${MAX_JSON_DEPTH} levels deep (arrays and objects): its ${MAX_JSON_DEPTH + 1}th level opens at position ${position}.`,
      position,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw notJson(style, 'The request body is not valid JSON.');
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The byte offset of the first `[` or `{` that opens a level deeper than `max`, or -1: one pass over the
 * bytes, without recursing or parsing. Brackets inside strings are skipped (a string's end is found with
 * indexOf, so long strings cost little); in UTF-8 these ASCII bytes never occur inside another character.
 * On text that is not JSON the answer does not matter: JSON.parse refuses it next.
 */
export function tooDeepAt(bytes: Buffer, max: number): number {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      // The closing quote is the next one preceded by an even number of backslashes.
      for (;;) {
        i = bytes.indexOf(QUOTE, i + 1);
        if (i < 0) return -1;
        let k = i - 1;
        while (bytes[k] === BACKSLASH) k--;
        if ((i - k) % 2 === 1) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      // [ {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) {
      // ] }
      depth--;
    }
  }
  return -1;
}

/** `position`: where in the text the problem is (FastAPI's `loc: ["body", position]`). */
function notJson(style: 'problem' | 'fastapi', message: string, position?: number): ApiError {
  if (style === 'fastapi') {
    return validationFailed([
      {
        in: 'body',
        field: position === undefined ? '' : String(position),
        message: `JSON decode error: ${message}`,
        type: 'json_invalid',
      },
    ]);
  }
  return new ApiError(400, 'INVALID_JSON', message);
}

const payloadTooLarge = (limit: number) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${Math.round(limit / 1024)} KB.`);

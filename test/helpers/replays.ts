// Idempotent replays as they are on the wire: the same request sent twice over real HTTP (no JSON-parsing
// client, no compression), and the replay compared with the first answer byte for byte.
import { expect } from 'vitest';
import { byId, resolve } from './contract.js';
import { raw, type RawResponse } from './http.js';

/** Sends one JSON request as `token`'s bearer, without Accept-Encoding (so the body is the bytes the server wrote). */
export const sendJson = (url: string, method: string, token: string, body: unknown): Promise<RawResponse> =>
  raw(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The response headers the contract documents for `operationId`'s `status`, lower-cased. */
export function documentedHeaders(operationId: string, status: number): string[] {
  const response = resolve(byId(operationId).op.responses[String(status)]);
  return Object.keys(response?.headers ?? {}).map((name) => name.toLowerCase());
}

/**
 * The replay answers exactly what the first request was answered: the same status, the same bytes of body
 * (and so the same length and type), the same documented headers, plus `Idempotent-Replayed: true`.
 */
export function expectByteExactReplay(operationId: string, first: RawResponse, replay: RawResponse): void {
  expect(first.headers['content-encoding'], 'compare uncompressed bytes').toBeUndefined();
  expect(first.headers['idempotent-replayed']).toBeUndefined();
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.status).toBe(first.status);
  expect(replay.body.toString('utf8')).toBe(first.body.toString('utf8'));
  expect(replay.body.equals(first.body)).toBe(true);
  for (const name of [
    'content-type',
    'content-length',
    ...documentedHeaders(operationId, first.status).filter((h) => h !== 'idempotent-replayed'),
  ]) {
    expect(replay.headers[name], name).toEqual(first.headers[name]);
  }
  expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
}

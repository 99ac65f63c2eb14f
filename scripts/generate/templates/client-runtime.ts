// Defaults of the generated client (hey-api calls createClientConfig when the client is created) and small
// helpers for its `auth` option.
import type { CreateClientConfig } from './gen/client.gen.js';
import type { Auth } from './gen/core/auth.gen.js';

/** Event-stream operations, by method and URL path. */
const EVENT_STREAMS: ReadonlyArray<{ method: string; path: RegExp }> = [
%EVENT_STREAMS%
];

/**
 * An event stream that was refused before it started (401, 402, 404, 409, ...). It reaches the `onSseError`
 * callback of the call, with the status and the response body (a problem+json object, or FastAPI's
 * `{detail}` for validation errors of the Rooms API).
 */
export class StreamError extends Error {
  constructor(readonly status: number, readonly body: unknown) {
    super(`Event stream refused with ${status}${body && typeof body === 'object' && 'code' in body ? ` ${String(body.code)}` : ''}`);
    this.name = 'StreamError';
  }
}

const isEventStream = (method: string, url: string) => {
  const path = new URL(url, 'http://localhost').pathname;
  return EVENT_STREAMS.some((s) => s.method === method.toUpperCase() && s.path.test(path));
};

/** Surfaces the body of a refused event stream instead of a bare "SSE failed: 402". */
const fetchWithStreamErrors: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const response = await globalThis.fetch(input, init);
  if (!response.ok && isEventStream(method, url)) {
    const text = await response.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    throw new StreamError(response.status, body);
  }
  return response;
};

export const createClientConfig: CreateClientConfig = (config) => ({
  ...config,
  // Streams are not retried unless a call asks for it (`sseMaxRetryAttempts`): retrying a POST that starts
  // an agent chat would post, and pay, twice. Room event streams resume safely with Last-Event-ID.
  sseMaxRetryAttempts: 1,
  fetch: fetchWithStreamErrors,
});

type AuthCallback = (auth: Auth) => string | undefined;

/** `auth` option sending a session token as `Authorization: Bearer <token>` (and nothing else). */
export const bearerToken = (token: string): AuthCallback => (auth) => (auth.scheme === 'bearer' ? token : undefined);

/** `auth` option sending an API key as `X-API-Key` (and nothing else). */
export const apiKey = (key: string): AuthCallback => (auth) => (auth.in === 'header' && auth.name === 'X-API-Key' ? key : undefined);

/** `auth` option sending a session token as the `session` cookie (server-side callers; browsers send the cookie themselves). */
export const sessionCookie = (token: string): AuthCallback => (auth) => (auth.in === 'cookie' && auth.name === 'session' ? token : undefined);

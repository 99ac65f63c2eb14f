// Event streams through the client: a refused stream always throws a StreamError from the iteration (with or
// without onSseError), 4xx and 501 are never retried, and a dropped connection is resumed with
// Last-Event-ID. Refusals come from the real server. Reconnection is shown against a small SSE endpoint
// served here, because it needs a stream with event ids that is cut mid-way at a chosen point.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatWithCommunityAgent,
  createPlatformClient,
  NetworkError,
  StreamError,
  streamRoomEvents,
} from '@platform/client';
import { newRoom } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

const server = useTestServer();

/** Iterates a stream to its end, returning what it yielded, or the error it threw. */
async function drain<T>(stream: AsyncIterable<T>): Promise<{ events: T[]; error?: unknown }> {
  const events: T[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

/** A fetch that counts the requests it sends. */
function counting() {
  const requests: Request[] = [];
  return {
    requests,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push(request);
      return globalThis.fetch(request);
    }) as typeof fetch,
  };
}

describe('a refused stream', () => {
  it('throws a StreamError from the iteration, even with no onSseError, and is not retried (401)', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const { requests, fetch } = counting();
    const started = Date.now();
    const { stream } = await streamRoomEvents({ path: { room_id: room.id }, sseMaxRetryAttempts: 10, fetch });
    const { events, error } = await drain(stream);
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({
      name: 'StreamError',
      status: 401,
      code: 'UNAUTHENTICATED',
      body: { code: 'UNAUTHENTICATED' },
    });
    expect((error as StreamError).requestId).toBeTruthy();
    expect(requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reaches onSseError too, then still throws (a 404 is final as well)', async () => {
    const alice = await newUser('Alice');
    const stranger = await newUser('Stranger');
    const room = await newRoom(alice);
    const { requests, fetch } = counting();
    const seen: unknown[] = [];
    const { stream } = await streamRoomEvents({
      path: { room_id: room.id },
      ...stranger.as,
      sseMaxRetryAttempts: 10,
      fetch,
      onSseError: (e) => seen.push(e),
    });
    const { error } = await drain(stream);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(seen).toEqual([error]);
    expect(requests).toHaveLength(1);
  });

  it('on a POST stream (agent chat) throws with the problem body', async () => {
    const { error } = await drain(
      (
        await chatWithCommunityAgent({
          path: { id: '00000000-0000-4000-8000-000000000000' },
          body: { content: 'hi', listingId: '00000000-0000-4000-8000-000000000000' },
        })
      ).stream,
    );
    expect(error).toBeInstanceOf(StreamError);
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });
});

describe('a stream that cannot connect', () => {
  it('throws a NetworkError after its attempts', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const offline = createPlatformClient({ baseUrl: `http://127.0.0.1:${port}` });
    const { requests, fetch } = counting();
    const { stream } = await streamRoomEvents({
      client: offline,
      path: { room_id: '00000000-0000-4000-8000-000000000000' },
      sseMaxRetryAttempts: 3,
      sseDefaultRetryDelay: 1,
      fetch,
    });
    const { error } = await drain(stream);
    expect(error).toBeInstanceOf(NetworkError);
    expect(requests).toHaveLength(3);
    expect(server.baseUrl).toBeTruthy();
  });
});

describe('reconnecting', () => {
  type Handler = (request: IncomingMessage, response: ServerResponse, attempt: number) => void;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  /** An SSE endpoint at /api/v1/rooms/{id}/stream answering each attempt with `handler`. */
  async function sseServer(handler: Handler) {
    const seen: Array<string | undefined> = [];
    const http = createServer((request, response) => {
      seen.push(request.headers['last-event-id'] as string | undefined);
      handler(request, response, seen.length);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    close = async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    };
    const client = createPlatformClient({ baseUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
    return { client, seen };
  }
  const event = (seq: number) =>
    `id: ${seq}\nevent: message.posted\ndata: ${JSON.stringify({ seq, type: 'message.posted' })}\n\n`;
  const open = (response: ServerResponse) => response.writeHead(200, { 'Content-Type': 'text/event-stream' });

  it('after a 503 and a dropped connection, resumes with Last-Event-ID: every event once, in order', async () => {
    const { client, seen } = await sseServer((request, response, attempt) => {
      if (attempt === 1) {
        response
          .writeHead(503, { 'Content-Type': 'application/problem+json' })
          .end(
            JSON.stringify({ type: '/problems/unavailable', title: 'Unavailable', status: 503, code: 'UNAVAILABLE' }),
          );
      } else if (attempt === 2) {
        open(response);
        response.write(event(1) + event(2));
        setTimeout(() => request.socket.destroy(), 50); // the connection drops mid-stream
      } else {
        open(response);
        const after = Number(request.headers['last-event-id']);
        response.end(event(after + 1) + event(after + 2));
      }
    });
    const { stream } = await streamRoomEvents({
      client,
      path: { room_id: '00000000-0000-4000-8000-000000000000' },
      sseMaxRetryAttempts: 5,
      sseDefaultRetryDelay: 1,
    });
    const { events, error } = await drain(stream);
    expect(error).toBeUndefined();
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([undefined, undefined, '2']);
  });

  it('gives up after its attempts with the last failure, and never retries a 4xx met on reconnecting', async () => {
    const { client, seen } = await sseServer((_request, response, attempt) => {
      if (attempt === 1) {
        open(response);
        response.write(event(7));
        setTimeout(() => response.socket?.destroy(), 50);
      } else {
        response.writeHead(403, { 'Content-Type': 'application/problem+json' }).end(
          JSON.stringify({
            type: '/problems/not-a-participant',
            title: 'Forbidden',
            status: 403,
            code: 'NOT_A_PARTICIPANT',
          }),
        );
      }
    });
    const { stream } = await streamRoomEvents({
      client,
      path: { room_id: '00000000-0000-4000-8000-000000000000' },
      sseMaxRetryAttempts: 5,
      sseDefaultRetryDelay: 1,
    });
    const { events, error } = await drain(stream);
    expect(events.map((e) => e.seq)).toEqual([7]);
    expect(error).toMatchObject({ name: 'StreamError', status: 403, code: 'NOT_A_PARTICIPANT' });
    expect(seen).toEqual([undefined, '7']);
  });

  it('does not reconnect by default: a dropped connection throws a NetworkError after the events received', async () => {
    const { client, seen } = await sseServer((_request, response) => {
      open(response);
      response.write(event(1));
      setTimeout(() => response.socket?.destroy(), 50);
    });
    const { stream } = await streamRoomEvents({ client, path: { room_id: '00000000-0000-4000-8000-000000000000' } });
    const { events, error } = await drain(stream);
    expect(events.map((e) => e.seq)).toEqual([1]);
    expect(error).toBeInstanceOf(NetworkError);
    expect(seen).toHaveLength(1);
  });

  it('closes the connection when the loop stops early, and throws nothing', async () => {
    let closedByClient = false;
    const { client } = await sseServer((request, response) => {
      open(response);
      response.write(event(1) + event(2));
      request.on('close', () => {
        closedByClient = true;
      });
    });
    const { stream } = await streamRoomEvents({
      client,
      path: { room_id: '00000000-0000-4000-8000-000000000000' },
      sseMaxRetryAttempts: 5,
    });
    for await (const e of stream) if (e.seq === 1) break;
    await expect.poll(() => closedByClient).toBe(true);
  });
});

// What allowed a room stream bounds it: signing out and deleting an API key cut the streams opened with that
// credential at once (the database's NOTIFY; the keep-alive interval, when credentials are also checked, is a
// minute here, so nothing else can have done it), expiry ends them at the next check, other credentials keep
// theirs, a reconnect is answered 401 and the generated client stops there. Each user holds at most
// MAX_STREAMS_PER_USER streams (3 here): 429 TOO_MANY_STREAMS past it. (Two instances: test/runtime/stream-instances.test.ts.)
import { describe, expect, it } from 'vitest';
import {
  bearerToken,
  createApiKey,
  createPlatformClient,
  deleteApiKey,
  signIn,
  signOut,
  StreamError,
  streamRoomEvents,
  type Client,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { recordExercised, startTestServer, useTestServer, watchClient } from '../../helpers/server.js';
import { StreamReader } from '../../helpers/sse.js';
import { joinRoom, newRoom, post } from '../../helpers/rooms.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const DAY = 24 * 3600 * 1000;
const MAX_STREAMS = 3;
const clock = new ManualClock(new Date('2026-03-10T09:00:00Z'));
const server = useTestServer({ sseKeepAliveMs: 60_000, maxStreamsPerUser: MAX_STREAMS }, { clock });

type Credential = { bearer: string } | { apiKey: string };

/** A raw GET of the stream with one credential (recorded for the coverage table). */
async function open(baseUrl: string, credential: Credential, roomId: string, method = 'GET'): Promise<Response> {
  const headers: Record<string, string> =
    'bearer' in credential ? { Authorization: `Bearer ${credential.bearer}` } : { 'X-API-Key': credential.apiKey };
  const response = await fetch(`${baseUrl}/api/v1/rooms/${roomId}/stream`, { method, headers });
  recordExercised('streamRoomEvents', response.status);
  return response;
}

async function follow(credential: Credential, roomId: string, baseUrl = server.baseUrl): Promise<StreamReader> {
  const response = await open(baseUrl, credential, roomId);
  expect(response.status).toBe(200);
  return new StreamReader(response);
}

const bearer = (u: TestUser): Credential => ({ bearer: u.token });

/** A second session of the same user. */
async function signInAgain(u: TestUser, client?: Client): Promise<string> {
  return (await signIn({ body: { email: u.user.email, password: u.password }, ...(client ? { client } : {}) })).data!
    .token;
}

async function newKey(u: TestUser, expiresInDays?: number): Promise<{ id: string; apiKey: string }> {
  const { data } = await createApiKey({
    body: { name: 'stream', ...(expiresInDays ? { expiresInDays } : {}) },
    ...u.as,
  });
  return { id: data!.id, apiKey: data!.key };
}

/** How long until `reader` ends, and how. */
async function endOf(reader: StreamReader, since: number): Promise<{ how: 'end' | 'cut'; ms: number }> {
  const how = await reader.ended;
  return { how, ms: Date.now() - since };
}

describe('streamRoomEvents: a stream ends with its credential', () => {
  it("sign-out cuts every stream opened with that session at once; the same user's other session keeps its stream; reconnecting is 401", async () => {
    const alice = await newUser('Alice');
    const [room, other] = [await newRoom(alice), await newRoom(alice, 'Other')];
    const second = await signInAgain(alice);
    const [first1, first2, kept] = [
      await follow(bearer(alice), room.id),
      await follow(bearer(alice), other.id),
      await follow({ bearer: second }, room.id),
    ];
    const started = Date.now();
    expect((await signOut({ ...alice.as })).response?.status).toBe(204);
    for (const reader of [first1, first2]) {
      const { how, ms } = await endOf(reader, started);
      expect(how).toBe('cut'); // not the stream's normal end: the client reconnects, and learns why
      expect(ms).toBeLessThan(5_000); // the check interval is a minute: only the notification can have done it
    }
    const message = await post(room.id, { ...alice, token: second, as: { auth: bearerToken(second) } }, 'still here');
    expect((await kept.waitFor(1))[0]!.data).toMatchObject({ seq: message.seq });
    const again = await open(server.baseUrl, bearer(alice), room.id);
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    await kept.cancel();
  });

  it("deleting an API key cuts the streams it opened, not the session's", async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const key = await newKey(alice);
    const [byKey, bySession] = [await follow({ apiKey: key.apiKey }, room.id), await follow(bearer(alice), room.id)];
    const started = Date.now();
    expect((await deleteApiKey({ path: { id: key.id }, ...alice.as })).response?.status).toBe(204);
    const { how, ms } = await endOf(byKey, started);
    expect(how).toBe('cut');
    expect(ms).toBeLessThan(5_000);
    const message = await post(room.id, alice, 'session still follows');
    expect((await bySession.waitFor(1))[0]!.data).toMatchObject({ seq: message.seq });
    expect((await open(server.baseUrl, { apiKey: key.apiKey }, room.id)).status).toBe(401);
    await bySession.cancel();
  });

  it('the generated client, even asked to reconnect, stops after the cut: its reconnect gets 401, thrown as a StreamError', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const requests: Request[] = [];
    const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push(request);
      return globalThis.fetch(request);
    }) as typeof fetch;
    const { stream } = await streamRoomEvents({
      path: { room_id: room.id },
      query: { afterSeq: 0 },
      ...alice.as,
      sseMaxRetryAttempts: 5,
      sseDefaultRetryDelay: 20,
      fetch: counting,
    });
    const seqs: number[] = [];
    let thrown: unknown;
    const reading = (async () => {
      try {
        for await (const event of stream) seqs.push(event.seq);
      } catch (error) {
        thrown = error;
      }
    })();
    await expect.poll(() => seqs.length).toBe(2); // room.created, participant.joined
    await signOut({ ...alice.as });
    await reading;
    expect(thrown).toBeInstanceOf(StreamError);
    expect(thrown).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(requests).toHaveLength(2); // the stream, then one reconnect: a 4xx is never retried
    expect(requests[1]!.headers.get('last-event-id')).toBe('2');
  });
});

describe('streamRoomEvents: at most MAX_STREAMS_PER_USER open streams per user', () => {
  it('the next one is 429 TOO_MANY_STREAMS with Retry-After, whatever the credential or room; others are unaffected; closing one frees a place', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const [room, other] = [await newRoom(alice), await newRoom(alice, 'Other')];
    await joinRoom(room.id, alice, bob);
    const key = await newKey(alice);
    const held = [await follow(bearer(alice), room.id), await follow({ apiKey: key.apiKey }, other.id)];
    // A HEAD answers the stream's headers and starts nothing: it holds no place.
    for (let i = 0; i < 3; i++) expect((await open(server.baseUrl, bearer(alice), room.id, 'HEAD')).status).toBe(200);
    held.push(await follow(bearer(alice), other.id));
    const refused = await open(server.baseUrl, { apiKey: key.apiKey }, room.id);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await refused.json()).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });
    // Access is checked first: a room Alice cannot see is still 404.
    const elsewhere = await newRoom(bob, 'Bob alone');
    expect((await open(server.baseUrl, bearer(alice), elsewhere.id)).status).toBe(404);
    const bobs = await follow(bearer(bob), room.id);
    await held.pop()!.cancel();
    // The place is given back when the server sees the connection close.
    let reopened: Response | undefined;
    await expect
      .poll(
        async () => {
          const response = await open(server.baseUrl, bearer(alice), room.id);
          if (response.status === 200) reopened = response;
          else await response.body?.cancel();
          return response.status;
        },
        { timeout: 5_000, interval: 50 },
      )
      .toBe(200);
    held.push(new StreamReader(reopened!));
    expect((await open(server.baseUrl, bearer(alice), room.id)).status).toBe(429);
    const message = await post(room.id, alice, 'to everyone');
    expect((await held[0]!.waitFor(1))[0]!.data.seq).toBe(message.seq);
    expect((await bobs.waitFor(1))[0]!.data.seq).toBe(message.seq);
    await Promise.all([...held, bobs].map((r) => r.cancel()));
  });
});

describe('streamRoomEvents: expiry', () => {
  it("an expired API key's streams end at the next check, then the session's when it expires", async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const key = await newKey(alice, 1);
    const [byKey, bySession] = [await follow({ apiKey: key.apiKey }, room.id), await follow(bearer(alice), room.id)];
    const credentials = server.platform.services.rooms.streams.credentials;
    await credentials.check();
    clock.advance(2 * DAY);
    await credentials.check(); // what every instance does each keep-alive interval
    expect(await byKey.ended).toBe('cut');
    const message = await post(room.id, alice, 'the session is still valid');
    expect((await bySession.waitFor(1))[0]!.data.seq).toBe(message.seq);
    clock.advance(30 * DAY);
    await credentials.check();
    expect(await bySession.ended).toBe('cut');
    expect((await open(server.baseUrl, bearer(alice), room.id)).status).toBe(401);
    expect(credentials.size).toBe(0);
  });

  it('is checked by every instance on its own, every keep-alive interval', async () => {
    const ownClock = new ManualClock(new Date('2026-03-10T09:00:00Z'));
    const quick = await startTestServer({ sseKeepAliveMs: 1_000 }, { clock: ownClock });
    try {
      const client = createPlatformClient({ baseUrl: quick.baseUrl });
      watchClient(client);
      const alice = await newUser('Alice', { client });
      const room = await newRoom(alice);
      const reader = await follow(bearer(alice), room.id, quick.baseUrl);
      ownClock.advance(31 * DAY);
      const started = Date.now();
      const { how, ms } = await endOf(reader, started);
      expect(how).toBe('cut');
      expect(ms).toBeLessThan(3_000); // within one interval (1 s here), and a little
    } finally {
      await quick.stop();
    }
  });
});

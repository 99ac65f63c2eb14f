// Following a room live (GET /api/v1/rooms/{room_id}/stream): refused before the first byte as JSON (401,
// 403, 404, 422); backfill from afterSeq / Last-Event-ID, then live, `id:` = seq and `event:` = type, without
// gap or duplicate; resuming after the server cuts the connection; keep-alives; the caller's own leave or
// removal ends it; an archived room stays open; a client that stops reading is cut off at its buffer and
// resumes from the log. (Several instances on one PostgreSQL: test/runtime/stream-instances.test.ts.)
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  archiveRoom,
  leaveRoom,
  removeRoomParticipant,
  StreamError,
  streamRoomEvents,
  type RoomEvent,
} from '@platform/client';
import { parseRendered } from '../../../src/platform/rendered.js';
import { recordExercised, useTestServer } from '../../helpers/server.js';
import { StreamReader } from '../../helpers/sse.js';
import { allEvents, inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const BUFFER_EVENTS = 20;
const server = useTestServer({ sseKeepAliveMs: 2_000, roomStreamBufferEvents: BUFFER_EVENTS });

/** A raw GET of the stream, read as it is on the wire (recorded for the coverage table). */
async function open(
  user: TestUser | undefined,
  roomId: string,
  options: { afterSeq?: string | number; lastEventId?: string | number } = {},
): Promise<Response> {
  const query = options.afterSeq !== undefined ? `?afterSeq=${options.afterSeq}` : '';
  const headers: Record<string, string> = {
    ...(user ? { Authorization: `Bearer ${user.token}` } : {}),
    ...(options.lastEventId !== undefined ? { 'Last-Event-ID': String(options.lastEventId) } : {}),
  };
  const response = await fetch(`${server.baseUrl}/api/v1/rooms/${roomId}/stream${query}`, { headers });
  recordExercised('streamRoomEvents', response.status);
  return response;
}

async function follow(user: TestUser, roomId: string, options: Parameters<typeof open>[2] = {}): Promise<StreamReader> {
  const response = await open(user, roomId, options);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return new StreamReader(response);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('streamRoomEvents: refused before the stream starts', () => {
  it('401 without a credential, as a StreamError through the generated client', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    let refused: unknown;
    const { stream } = await streamRoomEvents({ path: { room_id: room.id } });
    try {
      for await (const _ of stream) {
        /* refused */
      }
    } catch (error) {
      refused = error; // a refused stream throws from the iteration
    }
    expect(refused).toBeInstanceOf(StreamError);
    expect((refused as StreamError).status).toBe(401);
    const raw = await open(undefined, room.id);
    expect(raw.status).toBe(401);
    expect(raw.headers.get('content-type')).toBe('application/problem+json');
  });

  it('404 to a stranger and for an unknown room; 403 NOT_A_PARTICIPANT to a former participant and a pending invitee', async () => {
    const alice = await newUser('Alice');
    const [bob, carol, stranger] = [await newUser('Bob'), await newUser('Carol'), await newUser('Stranger')];
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    await inviteHuman(room.id, alice, carol);
    for (const [user, id] of [
      [stranger, room.id],
      [alice, UNKNOWN],
    ] as const) {
      const response = await open(user, id);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    for (const user of [bob, carol]) {
      const response = await open(user, room.id);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    }
  });

  it('422 naming room_id, afterSeq or Last-Event-ID when it is not a uuid / an integer >= 0', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const cases: Array<[string, Parameters<typeof open>[2], string]> = [
      ['not-a-uuid', {}, 'room_id'],
      [room.id, { afterSeq: -1 }, 'afterSeq'],
      [room.id, { afterSeq: '1.5' }, 'afterSeq'],
      [room.id, { lastEventId: 'abc' }, 'last-event-id'],
      [room.id, { lastEventId: -3 }, 'last-event-id'],
    ];
    for (const [id, options, field] of cases) {
      const response = await open(alice, id, options);
      expect(response.status, `${id} ${JSON.stringify(options)}`).toBe(422);
      const { detail } = (await response.json()) as { detail: Array<{ loc: string[] }> };
      expect(detail.map((d) => d.loc.at(-1)!.toLowerCase())).toContain(field.toLowerCase());
    }
    const unknownParam = await fetch(`${server.baseUrl}/api/v1/rooms/${room.id}/stream?since=3`, {
      headers: { Authorization: `Bearer ${alice.token}` },
    });
    recordExercised('streamRoomEvents', unknownParam.status);
    expect(unknownParam.status).toBe(422);
  });
});

describe('streamRoomEvents: backfill, then live', () => {
  it('without a resume point starts live at the latest seq: only what is committed afterwards', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    await post(room.id, alice, 'before');
    const started = Date.now();
    const reader = await follow(alice, room.id);
    expect(Date.now() - started).toBeLessThan(1_500); // the headers come at once, not with the first event or keep-alive
    const message = await post(room.id, alice, 'after');
    const [event] = await reader.waitFor(1);
    expect(event).toMatchObject({
      id: String(message.seq),
      event: 'message.posted',
      data: { seq: message.seq, type: 'message.posted', payload: { body: 'after' } },
    });
    await reader.cancel();
  });

  it('from afterSeq sends the backfill ascending, then each new event once, as the log has it', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    for (const n of [1, 2, 3]) await post(room.id, n % 2 ? alice : bob, `backfill ${n}`);
    const reader = await follow(bob, room.id, { afterSeq: 2 });
    const latest = (await allEvents(room.id, alice)).at(-1)!.seq;
    await reader.waitFor(latest - 2);
    await Promise.all([post(room.id, alice, 'live 1'), post(room.id, bob, 'live 2'), post(room.id, alice, 'live 3')]);
    const log = await allEvents(room.id, alice);
    const got = await reader.waitFor(log.length - 2);
    expect(got.map((e) => e.data)).toEqual(log.slice(2));
    expect(got.every((e) => e.id === String(e.data.seq) && e.event === e.data.type)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reader.ids).toEqual(range(3, log.at(-1)!.seq)); // nothing more, nothing twice
    await reader.cancel();
  });

  it('Last-Event-ID wins over afterSeq; a resume point past the latest seq resumes from the latest', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    for (const n of [1, 2, 3, 4]) await post(room.id, alice, `message ${n}`); // seq 3..6
    const reader = await follow(alice, room.id, { afterSeq: 1, lastEventId: 4 });
    expect((await reader.waitFor(2)).map((e) => e.id)).toEqual(['5', '6']);
    await reader.cancel();
    const ahead = await follow(alice, room.id, { lastEventId: 1000 });
    const next = await post(room.id, alice, 'next');
    expect((await ahead.waitFor(1))[0]!.id).toBe(String(next.seq));
    await ahead.cancel();
  });

  it('resumes through the generated client after the server cuts the connection, without gap or duplicate', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    await post(room.id, alice, 'first');
    const errors: unknown[] = [];
    const controller = new AbortController();
    const { stream } = await streamRoomEvents({
      path: { room_id: room.id },
      query: { afterSeq: 0 },
      ...alice.as,
      signal: controller.signal,
      sseMaxRetryAttempts: 3,
      sseDefaultRetryDelay: 20,
      onSseError: (e) => errors.push(e),
    });
    const got: RoomEvent[] = [];
    const reading = (async () => {
      for await (const event of stream) got.push(event as RoomEvent);
    })().catch(() => undefined);
    const waitForSeq = async (seq: number) => {
      for (let i = 0; i < 500 && got.at(-1)?.seq !== seq; i++) await new Promise((r) => setTimeout(r, 20));
    };
    await waitForSeq(3);
    server.platform.endStreams(); // what a graceful stop does: every stream cut, clients resume
    const during = await post(room.id, alice, 'while reconnecting');
    await waitForSeq(during.seq);
    const last = await post(room.id, alice, 'after the reconnect');
    await waitForSeq(last.seq);
    controller.abort();
    await reading;
    expect(errors.length).toBeGreaterThanOrEqual(1); // the cut, seen as a broken stream
    expect(got.map((e) => e.seq)).toEqual(range(1, last.seq));
    expect(got.map((e) => e.type)).toEqual((await allEvents(room.id, alice)).map((e) => e.type));
  });

  it('shares one live feed per room among its followers, each getting every event', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const readers = await Promise.all([1, 2, 3].map(() => follow(alice, room.id, { afterSeq: 0 })));
    await Promise.all(readers.map((r) => r.waitFor(2)));
    await post(room.id, alice, 'to everyone');
    await Promise.all(readers.map((r) => r.waitFor(3)));
    expect(server.platform.services.rooms.streams.feeds.followers(room.id)).toBe(3);
    expect(readers.map((r) => r.ids)).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
    await Promise.all(readers.map((r) => r.cancel()));
    await expect.poll(() => server.platform.services.rooms.streams.feeds.followers(room.id)).toBe(0);
  });
});

describe('streamRoomEvents: how it ends', () => {
  it("sends the caller's own participant.left, then ends; another participant leaving does not end it", async () => {
    const alice = await newUser('Alice');
    const [bob, carol] = [await newUser('Bob'), await newUser('Carol')];
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    await joinRoom(room.id, alice, carol);
    const [aliceReader, bobReader] = [await follow(alice, room.id), await follow(bob, room.id)];
    await leaveRoom({ path: { room_id: room.id }, ...carol.as });
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    expect(await bobReader.ended).toBe('end');
    expect(bobReader.events.map((e) => [e.event, e.data.actor.membershipId])).toEqual([
      ['participant.left', carol.user.id],
      ['participant.left', bob.user.id],
    ]);
    await post(room.id, alice, 'still here');
    expect((await aliceReader.waitFor(3)).map((e) => e.event)).toEqual([
      'participant.left',
      'participant.left',
      'message.posted',
    ]);
    await aliceReader.cancel();
  });

  it("ends after the caller's participant.removed; a rejoined participant's earlier leave in the backfill does not end it", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const again = await joinRoom(room.id, alice, bob);
    const reader = await follow(bob, room.id, { afterSeq: 0 });
    const removed = await removeRoomParticipant({
      path: { room_id: room.id, participant_id: again.acceptedParticipantId! },
      ...alice.as,
    });
    expect(removed.response?.status).toBe(200);
    expect(await reader.ended).toBe('end');
    const types = reader.events.map((e) => e.event);
    expect(types).toContain('participant.left');
    expect(types.at(-1)).toBe('participant.removed');
    expect(reader.ids).toEqual(range(1, (await allEvents(room.id, alice)).at(-1)!.seq));
  });

  it('stays open on an archived room: the backfill, then keep-alives only', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    await archiveRoom({ path: { room_id: room.id }, ...alice.as });
    const reader = await follow(alice, room.id, { afterSeq: 0 });
    expect((await reader.waitFor(3)).map((e) => e.event)).toEqual([
      'room.created',
      'participant.joined',
      'room.archived',
    ]);
    await expect.poll(() => reader.comments, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(2); // every 2 s here
    expect(reader.events).toHaveLength(3);
    await reader.cancel();
  });

  it('cuts off a client that stops reading, once it is past its buffer; it resumes with Last-Event-ID from the log', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const principal = (await server.platform.services.auth.authenticate({ scheme: 'bearerAuth', token: alice.token }))!;
    const feeds = server.platform.services.rooms.streams.feeds;
    // A client that reads nothing (a raw socket, paused: what was sent waits in the kernel's buffers, then
    // the server's own buffer fills, then the client is cut off).
    const url = new URL(server.baseUrl);
    const socket = connect(Number(url.port), url.hostname);
    socket.write(
      `GET /api/v1/rooms/${room.id}/stream HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${alice.token}\r\n\r\n`,
    );
    socket.pause();
    await expect.poll(() => feeds.followers(room.id)).toBe(1);
    const big = 'x'.repeat(20_000);
    let posted = 0;
    while (feeds.followers(room.id) === 1 && posted < 3_000) {
      await server.platform.services.rooms.messages.post(principal, room.id, `${posted} ${big}`);
      posted += 1;
      // PGlite answers without waiting for I/O: let the server write to its sockets between posts.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(feeds.followers(room.id)).toBe(0);
    const latest = parseRendered(
      await server.platform.services.rooms.timeline.timeline(principal, room.id, { limit: 1 }),
    ).latestSeq;

    // Reading now: what reached the socket, then the connection closes without the stream's last chunk.
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      socket
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .on('close', () => resolve())
        .resume();
    });
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    recordExercised('streamRoomEvents', 200);
    expect(text.endsWith('0\r\n\r\n')).toBe(false); // no end of the chunked body: a cut
    const received = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(received.length).toBeGreaterThan(0);
    expect(received).toEqual(range(3, received.at(-1)!));
    expect(received.at(-1)!).toBeLessThan(latest);

    const resumed = await follow(alice, room.id, { lastEventId: received.at(-1)! });
    await resumed.waitFor(latest - received.at(-1)!, 20_000);
    expect(resumed.ids).toEqual(range(received.at(-1)! + 1, latest));
    await resumed.cancel();
  }, 90_000);
});

// Stream tickets (`?ticket=`): what a browser's EventSource on another site authenticates a room stream with.
// A ticket opens its own room's stream only, as its issuer, while the issuing credential works; unused it
// expires 60 s after issue; a stream using it keeps it alive (every 20 s, in the database), and it works for
// 60 s after the stream was last seen, for the EventSource's own reconnects. The clock is a ManualClock, so the
// windows are exact. (A real EventSource on another site, across a server restart: test/docs/cross-site-stream.test.ts.)
import { describe, expect, it } from 'vitest';
import {
  createRoomStreamTicket,
  leaveRoom,
  listRoomParticipants,
  removeRoomParticipant,
  signOut,
  streamRoomEvents,
} from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { recordExercised, useTestServer } from '../../helpers/server.js';
import { StreamReader } from '../../helpers/sse.js';
import { joinRoom, newRoom, post } from '../../helpers/rooms.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const clock = new ManualClock(new Date('2026-03-10T09:00:00Z'));
const server = useTestServer({ sseKeepAliveMs: 60_000 }, { clock });

async function ticketFor(user: TestUser, roomId: string) {
  const { data, response } = await createRoomStreamTicket({ path: { room_id: roomId }, ...user.as });
  expect(response?.status).toBe(201);
  return data!;
}

/** The stream with nothing but the URL, as an EventSource opens it (no header, no cookie). */
async function openPath(path: string): Promise<Response> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: { Accept: 'text/event-stream' } });
  recordExercised('streamRoomEvents', response.status);
  return response;
}

async function follow(path: string): Promise<StreamReader> {
  const response = await openPath(path);
  expect(response.status).toBe(200);
  return new StreamReader(response);
}

describe('createRoomStreamTicket', () => {
  it('gives a participant a ticket whose streamPath opens the stream with no other credential, every event unnamed', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const ticket = await ticketFor(alice, room.id);
    expect(ticket).toMatchObject({ roomId: room.id, expiresAt: '2026-03-10T09:01:00.000Z' });
    expect(ticket.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ticket.streamPath).toBe(`/api/v1/rooms/${room.id}/stream?ticket=${ticket.ticket}&eventName=message`);
    const reader = await follow(`${ticket.streamPath}&afterSeq=0`);
    const message = await post(room.id, alice, 'hello');
    const events = await reader.waitFor(3);
    expect(events.map((e) => e.data.type)).toEqual(['room.created', 'participant.joined', 'message.posted']);
    expect(events.map((e) => e.id)).toEqual(['1', '2', String(message.seq)]);
    expect(events.every((e) => e.event === undefined)).toBe(true); // no `event:` line: an EventSource's onmessage gets them all
    await reader.cancel();
  });

  it('is refused to those who may not follow the room: a stranger 404, a former participant 403', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const stranger = await newUser('Stranger');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const refused = await createRoomStreamTicket({ path: { room_id: room.id }, ...stranger.as });
    expect(refused.response?.status).toBe(404);
    const former = await createRoomStreamTicket({ path: { room_id: room.id }, ...bob.as });
    expect(former.response?.status).toBe(403);
    expect(former.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    expect((await createRoomStreamTicket({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('streamRoomEvents with a ticket', () => {
  it('is 401 for another room, for an unknown ticket, and on any other operation', async () => {
    const alice = await newUser('Alice');
    const [room, other] = [await newRoom(alice), await newRoom(alice, 'Other')];
    const { ticket } = await ticketFor(alice, room.id);
    for (const path of [
      `/api/v1/rooms/${other.id}/stream?ticket=${ticket}`,
      `/api/v1/rooms/${room.id}/stream?ticket=not-a-ticket`,
    ]) {
      const response = await openPath(path);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    const timeline = await fetch(`${server.baseUrl}/api/v1/rooms/${room.id}/timeline?ticket=${ticket}`);
    expect(timeline.status).toBe(401); // a ticket is no credential anywhere else
  });

  it('unused, expires 60 s after it was issued', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const fresh = await ticketFor(alice, room.id);
    const stale = await ticketFor(alice, room.id);
    clock.advance(59_000);
    (await follow(fresh.streamPath)).cancel();
    clock.advance(1_000);
    expect((await openPath(stale.streamPath)).status).toBe(401);
  });

  it('reconnects with it work while a stream uses it and for 60 s after it was last seen open; then 401', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const { streamPath } = await ticketFor(alice, room.id);
    const first = await follow(streamPath);
    // Open for 100 s: the instance keeps the ticket alive while the stream holds it.
    for (let i = 0; i < 5; i++) {
      clock.advance(20_000);
      await server.platform.services.ticketHolds.refresh();
    }
    await first.cancel();
    await expect.poll(() => server.platform.services.rooms.streams.credentials.size).toBe(0);
    clock.advance(59_000);
    const reconnect = await follow(streamPath); // e.g. the EventSource after a server restart
    await reconnect.cancel();
    await expect.poll(() => server.platform.services.rooms.streams.credentials.size).toBe(0);
    clock.advance(60_000);
    expect((await openPath(streamPath)).status).toBe(401);
  });

  it('ends with the credential that asked for it: signing out cuts its stream, and the ticket is then 401', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const { streamPath } = await ticketFor(alice, room.id);
    const reader = await follow(streamPath);
    await signOut({ ...alice.as });
    expect(await reader.ended).toBe('cut');
    expect((await openPath(streamPath)).status).toBe(401);
  });

  it('a participant removed while following with a ticket gets participant.removed, the end, and 403 on reconnect', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const { streamPath } = await ticketFor(bob, room.id);
    const reader = await follow(streamPath);
    const participants = (await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items;
    const bobs = participants.find((p) => p.membershipId === bob.user.id)!;
    await removeRoomParticipant({ path: { room_id: room.id, participant_id: bobs.id }, ...alice.as });
    expect(await reader.ended).toBe('end');
    expect(reader.events.at(-1)!.data).toMatchObject({ type: 'participant.removed' });
    const again = await openPath(streamPath);
    expect(again.status).toBe(403);
    expect(await again.json()).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
  });

  it('named and unnamed followers of one room get the same events, framed each their way', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const { streamPath } = await ticketFor(alice, room.id);
    const unnamed = await follow(streamPath);
    const named = new StreamReader(
      await fetch(`${server.baseUrl}/api/v1/rooms/${room.id}/stream`, {
        headers: { Authorization: `Bearer ${alice.token}` },
      }),
    );
    const message = await post(room.id, alice, 'to both');
    const [a, b] = [(await unnamed.waitFor(1))[0]!, (await named.waitFor(1))[0]!];
    expect(a.data).toEqual(b.data);
    expect(a.data.seq).toBe(message.seq);
    expect([a.event, b.event]).toEqual([undefined, 'message.posted']);
    expect([a.id, b.id]).toEqual([String(message.seq), String(message.seq)]);
    await unnamed.cancel();
    await named.cancel();
  });

  it('the generated client yields the same typed events with eventName=message', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const { stream } = await streamRoomEvents({
      path: { room_id: room.id },
      query: { afterSeq: 0, eventName: 'message' },
      ...alice.as,
    });
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (types.length === 2) break;
    }
    expect(types).toEqual(['room.created', 'participant.joined']);
  });

  it('the generated client never puts a credential in the URL, even one given as a plain auth string', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const requests: Request[] = [];
    const fetchCounting = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      requests.push(request);
      return globalThis.fetch(request);
    }) as typeof fetch;
    const { stream } = await streamRoomEvents({
      path: { room_id: room.id },
      query: { afterSeq: 0 },
      auth: alice.token,
      fetch: fetchCounting,
    });
    for await (const event of stream) {
      expect(event.type).toBe('room.created');
      break;
    }
    expect(new URL(requests[0]!.url).searchParams.has('ticket')).toBe(false);
    expect(requests[0]!.url).not.toContain(alice.token);
  });
});

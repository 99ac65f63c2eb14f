// The event log and the timeline: beforeSeq / afterSeq paging, the page bounds and hasMore flags computed
// from the log, messages in their current state, and who may read.
import { describe, expect, it } from 'vitest';
import { deleteRoomMessage, editRoomMessage, leaveRoom, listRoomEvents, listRoomTimeline } from '@platform/client';
import { timelinePage } from '../../../src/rooms/index.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';
import { inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';

const server = useTestServer();

async function roomWithEvents(messages: number) {
  const alice = await newUser('Alice');
  const room = await newRoom(alice);
  for (let i = 0; i < messages; i++) await post(room.id, alice, `m${i}`);
  return { alice, room, latest: 2 + messages };
}

describe('listRoomEvents', () => {
  it('pages: newest `limit` by default, afterSeq forward, beforeSeq backward, always ascending; every event complete', async () => {
    const { alice, room, latest } = await roomWithEvents(8); // seq 1..10
    const seqs = async (query: object) =>
      (await listRoomEvents({ path: { room_id: room.id }, query, ...alice.as })).data!.items.map((e) => e.seq);
    expect(await seqs({ limit: 3 })).toEqual([8, 9, 10]);
    expect(await seqs({ afterSeq: 0, limit: 3 })).toEqual([1, 2, 3]);
    expect(await seqs({ afterSeq: 8 })).toEqual([9, 10]);
    expect(await seqs({ afterSeq: latest })).toEqual([]);
    expect(await seqs({ beforeSeq: 5, limit: 2 })).toEqual([3, 4]);
    expect(await seqs({ beforeSeq: 1 })).toEqual([]);
    const all = (await listRoomEvents({ path: { room_id: room.id }, query: { afterSeq: 0 }, ...alice.as })).data!.items;
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    for (const e of all) {
      expect(e.schemaVersion).toBe(1);
      expect(e.render.fallbackText).not.toBe('');
      expect(e.render.rendererKey).toBe(e.type);
      expect(e.actor.displayName).toBe('Alice');
    }
  });

  it('422 for both bounds, a negative bound, a limit outside 1..100 or an unknown parameter; 403 former, 404 stranger', async () => {
    const { alice, room } = await roomWithEvents(1);
    for (const query of [{ beforeSeq: 3, afterSeq: 1 }, { afterSeq: -1 }, { limit: 0 }, { limit: 101 }, { since: 1 }]) {
      const r = await listRoomEvents({ path: { room_id: room.id }, query: query as never, ...alice.as });
      expect(r.response?.status, JSON.stringify(query)).toBe(422);
    }
    const both = await listRoomEvents({
      path: { room_id: room.id },
      query: { beforeSeq: 3, afterSeq: 1 },
      ...alice.as,
    });
    expect((both.error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toEqual([
      ['query', 'beforeSeq'],
      ['query', 'afterSeq'],
    ]);
    const bob = await newUser('Bob');
    await joinRoom(room.id, alice, bob);
    await leaveRoom({ path: { room_id: room.id }, ...bob.as });
    const former = await listRoomEvents({ path: { room_id: room.id }, ...bob.as });
    expect(former.response?.status).toBe(403);
    expect(former.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    expect((await listRoomEvents({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status).toBe(
      404,
    );
    expect((await listRoomEvents({ path: { room_id: UNKNOWN }, ...alice.as })).response?.status).toBe(404);
    expect((await listRoomEvents({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('listRoomTimeline', () => {
  it('merges messages (current state) and events; startSeq/endSeq/latestSeq and hasMore from the log, not the page size', async () => {
    const { alice, room, latest } = await roomWithEvents(3); // seq 1..5
    const page = async (query: object) =>
      (await listRoomTimeline({ path: { room_id: room.id }, query, ...alice.as })).data!;
    const newest = await page({ limit: 3 });
    expect(newest).toMatchObject({
      startSeq: 3,
      endSeq: 5,
      latestSeq: latest,
      hasMoreBefore: true,
      hasMoreAfter: false,
    });
    expect(newest.items.map((i) => [i.seq, i.kind])).toEqual([
      [3, 'message'],
      [4, 'message'],
      [5, 'message'],
    ]);
    for (const item of newest.items)
      expect([item.event.seq, item.message!.seq, item.event.type]).toEqual([item.seq, item.seq, 'message.posted']);
    expect(await page({ limit: 5 })).toMatchObject({
      startSeq: 1,
      endSeq: 5,
      hasMoreBefore: false,
      hasMoreAfter: false,
    });
    const first = await page({ afterSeq: 0, limit: 2 });
    expect(first).toMatchObject({ startSeq: 1, endSeq: 2, hasMoreBefore: false, hasMoreAfter: true });
    expect(first.items.map((i) => [i.kind, i.event.type, i.message])).toEqual([
      ['event', 'room.created', null],
      ['event', 'participant.joined', null],
    ]);
    expect(await page({ beforeSeq: 3 })).toMatchObject({
      startSeq: 1,
      endSeq: 2,
      hasMoreBefore: false,
      hasMoreAfter: true,
    });
    expect(await page({ afterSeq: latest })).toMatchObject({
      items: [],
      startSeq: null,
      endSeq: null,
      hasMoreBefore: true,
      hasMoreAfter: false,
    });
    expect(await page({ beforeSeq: 1 })).toMatchObject({
      items: [],
      startSeq: null,
      endSeq: null,
      hasMoreBefore: false,
      hasMoreAfter: true,
    });
    const message = newest.items[0]!.message!;
    await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...alice.as });
    const after = await page({ afterSeq: 2 });
    expect(after.items[0]).toMatchObject({
      kind: 'message',
      message: { id: message.id, body: '' },
      event: { payload: { body: '' } },
    });
    expect(after.items.at(-1)).toMatchObject({ kind: 'event', event: { type: 'message.deleted' }, message: null });
    expect(after.latestSeq).toBe(latest + 1);
  });

  it('is for current participants: pending invitees 403, strangers 404, 422 for bad paging', async () => {
    const { alice, room } = await roomWithEvents(0);
    const carol = await newUser('Carol');
    await inviteHuman(room.id, alice, carol);
    expect((await listRoomTimeline({ path: { room_id: room.id }, ...carol.as })).error).toMatchObject({
      code: 'NOT_A_PARTICIPANT',
    });
    expect(
      (await listRoomTimeline({ path: { room_id: room.id }, ...(await newUser('Eve')).as })).response?.status,
    ).toBe(404);
    expect(
      (await listRoomTimeline({ path: { room_id: room.id }, query: { beforeSeq: 2, afterSeq: 0 }, ...alice.as }))
        .response?.status,
    ).toBe(422);
    expect(
      (await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 101 }, ...alice.as })).response?.status,
    ).toBe(422);
    expect((await listRoomTimeline({ path: { room_id: room.id } })).response?.status).toBe(401);
  });
});

describe('listRoomEvents and listRoomTimeline rendered by PostgreSQL', () => {
  it('answer the JSON of the knex read in every shape: events, messages in their current state, bounds, flags', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const room = await newRoom(alice);
    await joinRoom(room.id, alice, bob);
    const posted = [];
    for (const body of ['hello @Bob', 'second "quoted" \\ \u2028', 'third 🙂', 'fourth'])
      posted.push(await post(room.id, alice, body));
    await editRoomMessage({
      path: { room_id: room.id, message_id: posted[1]!.id },
      body: { body: 'edited @bob', idempotencyKey: 'edit-1' },
      ...alice.as,
    });
    await deleteRoomMessage({ path: { room_id: room.id, message_id: posted[2]!.id }, ...alice.as });
    const knex = server.platform.database.knex;
    // A reply's run summary, as a completed run stores it (numbers, nested values).
    await knex('room_messages')
      .where('id', posted[3]!.id)
      .update({
        runSummary: JSON.stringify({ runId: posted[0]!.id, status: 'completed', toolCallCount: 2, durationMs: 1.5 }),
        actorRoleDocumentVersion: 3,
      });
    const latest = Number(((await knex('rooms').where('id', room.id).first('lastSeq')) as { lastSeq: string }).lastSeq);
    const queries = [
      { limit: 100 },
      { limit: 3 },
      { afterSeq: 0, limit: 4 },
      { afterSeq: 5, limit: 2 },
      { afterSeq: latest, limit: 5 },
      { afterSeq: latest + 5, limit: 5 },
      { beforeSeq: 4, limit: 2 },
      { beforeSeq: 1, limit: 5 },
      { beforeSeq: latest + 10, limit: 100 },
    ];
    for (const query of queries) {
      const timeline = (await listRoomTimeline({ path: { room_id: room.id }, query, ...alice.as })).data!;
      const expected = await timelinePage(knex, room.id, latest, query);
      expect(timeline, JSON.stringify(query)).toEqual(expected);
      const events = (await listRoomEvents({ path: { room_id: room.id }, query, ...alice.as })).data!;
      expect(events, JSON.stringify(query)).toEqual({ items: expected.items.map((i) => i.event) });
    }
    const whole = (await listRoomTimeline({ path: { room_id: room.id }, query: { limit: 100 }, ...alice.as })).data!;
    expect(whole.items.filter((i) => i.kind === 'message').map((i) => i.message!.body)).toEqual([
      'hello @Bob',
      'edited @bob',
      '',
      'fourth',
    ]);
  });
});

// Room messages: idempotent posts (replay, reused key, concurrent duplicates), mentions and queued runs,
// edits by the author, soft deletes, and the event log under concurrency (gapless seq, one event each).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  archiveRoom,
  createAgentListing,
  deleteRoomMessage,
  editRoomMessage,
  leaveRoom,
  listRoomTimeline,
  postRoomMessage,
} from '@platform/client';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';
import { allEvents, inviteAgent, inviteHuman, joinRoom, newRoom, post, UNKNOWN } from '../../helpers/rooms.js';
import { expectByteExactReplay, sendJson } from '../../helpers/replays.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;

async function roomWith(n: number) {
  const owner = await newUser('Owner');
  const room = await newRoom(owner);
  const others: TestUser[] = [];
  for (let i = 0; i < n; i++) {
    const u = await newUser(`Member${i}`);
    await joinRoom(room.id, owner, u);
    others.push(u);
  }
  return { owner, room, others };
}

describe('postRoomMessage', () => {
  it('posts (201): seq is its message.posted event, refs resolve @mentions (longest name, once each, any case)', async () => {
    const {
      owner,
      room,
      others: [bob],
    } = await roomWith(1);
    const before = (await allEvents(room.id, owner)).length;
    const { data, response } = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: '@member0 and @OWNER, again @Member0; not @Own', idempotencyKey: 'k1' },
      ...bob!.as,
    });
    expect(response?.status).toBe(201);
    expect(response?.headers.get('idempotent-replayed')).toBeNull();
    expect(data).toMatchObject({
      bodyFormat: 'plain_text',
      actorKind: 'human',
      actorMembershipId: bob!.user.id,
      actorDisplayName: 'Member0',
      editedAt: null,
      deletedAt: null,
      runSummary: null,
      actorRoleDocumentVersion: null,
      actorRoleDocumentVersionId: null,
      branchedFromMessageId: null,
      roomId: room.id,
      updatedAt: data!.createdAt,
    });
    expect(data!.refs.map((r) => r.displayName)).toEqual(['Member0', 'Owner']);
    const events = await allEvents(room.id, owner);
    expect(events).toHaveLength(before + 1);
    const posted = events.at(-1)!;
    expect(posted).toMatchObject({
      type: 'message.posted',
      seq: data!.seq,
      subject: { kind: 'message', id: data!.id },
      schemaVersion: 1,
      actor: { kind: 'human', membershipId: bob!.user.id },
    });
    expect(posted.render.fallbackText).toBe('Member0 posted a message');
    expect(posted.payload).toMatchObject({ messageId: data!.id, body: data!.body, refs: data!.refs });
  });

  it('replays the same key and body (201, same id and seq, Idempotent-Replayed) and appends nothing; another body is 409', async () => {
    const { owner, room } = await roomWith(0);
    const first = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: 'hello', idempotencyKey: 'same' },
      ...owner.as,
    });
    const count = (await allEvents(room.id, owner)).length;
    const again = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: 'hello', idempotencyKey: 'same' },
      ...owner.as,
    });
    expect(again.response?.status).toBe(201);
    expect(again.response?.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    const reused = await postRoomMessage({
      path: { room_id: room.id },
      body: { body: 'other', idempotencyKey: 'same' },
      ...owner.as,
    });
    expect(reused.response?.status).toBe(409);
    expect(reused.error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await allEvents(room.id, owner)).length).toBe(count);
  });

  it('a replay is the first answer byte for byte over HTTP: status, body bytes, documented headers, plus Idempotent-Replayed', async () => {
    const { owner, room } = await roomWith(1);
    const url = `${server.baseUrl}/api/v1/rooms/${room.id}/messages`;
    const body = { body: '@member0 café ☕ \u2028 "quoted" </script> \\ @Owner', idempotencyKey: 'bytes' };
    const first = await sendJson(url, 'POST', owner.token, body);
    expect(first.status).toBe(201);
    const replay = await sendJson(url, 'POST', owner.token, body);
    expectByteExactReplay('postRoomMessage', first, replay);
    expect(JSON.parse(first.body.toString('utf8'))).toMatchObject({
      body: body.body,
      refs: [{ displayName: 'Member0' }, { displayName: 'Owner' }],
    });
  });

  it('20 concurrent duplicates: one message, one event, every answer the same message', async () => {
    const { owner, room } = await roomWith(0);
    const before = (await allEvents(room.id, owner)).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        postRoomMessage({ path: { room_id: room.id }, body: { body: 'once', idempotencyKey: 'dup' }, ...owner.as }),
      ),
    );
    expect(results.map((r) => r.response?.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => `${r.data!.id}:${r.data!.seq}`)).size).toBe(1);
    expect(results.filter((r) => r.response?.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    expect((await allEvents(room.id, owner)).length).toBe(before + 1);
    expect(
      Number(
        (await knex()('room_messages').where('roomId', room.id).count<[{ count: string }]>('* as count'))[0]!.count,
      ),
    ).toBe(1);
  });

  it('100 concurrent posts by 10 users: seq gapless from 1, one message.posted each, messages keep their event seq', async () => {
    const { owner, room, others } = await roomWith(9);
    const users = [owner, ...others];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        postRoomMessage({
          path: { room_id: room.id },
          body: { body: `m${i}`, idempotencyKey: randomUUID() },
          ...users[i % 10]!.as,
        }),
      ),
    );
    expect(results.every((r) => r.response?.status === 201)).toBe(true);
    const events = await allEvents(room.id, owner);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    const posted = events.filter((e) => e.type === 'message.posted');
    expect(posted).toHaveLength(100);
    const bySeq = new Map(posted.map((e) => [e.seq, (e.payload as { messageId: string }).messageId]));
    for (const r of results) expect(bySeq.get(r.data!.seq)).toBe(r.data!.id);
  }, 60_000);

  it('queues a run for a mentioned enabled agent in the same transaction (run.queued after message.posted)', async () => {
    const owner = await newUser('Owner');
    const room = await newRoom(owner);
    const listing = (await createAgentListing({ body: { name: 'Research Assistant', model: 'gpt-4o' }, ...owner.as }))
      .data!;
    const accepted = await inviteAgent(room.id, owner, listing.id);
    const message = await post(room.id, owner, '@research assistant summarise please');
    expect(message.refs).toEqual([
      { displayName: 'Research Assistant', targetId: accepted.acceptedParticipantId, targetKind: 'agent' },
    ]);
    const runs = await knex()('room_runs').where('roomId', room.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'queued',
      triggerMessageId: message.id,
      participantId: accepted.acceptedParticipantId,
    });
    const last = (await allEvents(room.id, owner)).slice(-2);
    expect(last.map((e) => e.type)).toEqual(['message.posted', 'run.queued']);
    expect(last[1]).toMatchObject({
      seq: message.seq + 1,
      subject: { kind: 'run', id: runs[0].id },
      render: { slot: 'inline', fallbackText: 'Research Assistant will reply' },
    });
  });

  it('refuses former participants and pending invitees (403 NOT_A_PARTICIPANT), strangers (404), archived rooms (409), bad input (422): nothing written', async () => {
    const {
      owner,
      room,
      others: [bob],
    } = await roomWith(1);
    const carol = await newUser('Carol');
    await inviteHuman(room.id, owner, carol);
    const stranger = await newUser('Eve');
    await leaveRoom({ path: { room_id: room.id }, ...bob!.as });
    const count = (await allEvents(room.id, owner)).length;
    // Exactly these bytes: the client would add the idempotency key the missing-key case leaves out.
    const send = (u: TestUser, body: unknown, roomId = room.id) =>
      postRoomMessage({
        path: { room_id: roomId },
        body: body as never,
        bodySerializer: () => JSON.stringify(body),
        ...u.as,
      });
    for (const u of [bob!, carol]) {
      const r = await send(u, { body: 'x', idempotencyKey: 'a' });
      expect(r.response?.status).toBe(403);
      expect(r.error).toMatchObject({ code: 'NOT_A_PARTICIPANT' });
    }
    expect((await send(stranger, { body: 'x', idempotencyKey: 'a' })).response?.status).toBe(404);
    expect((await send(owner, { body: 'x', idempotencyKey: 'a' }, UNKNOWN)).response?.status).toBe(404);
    for (const [body, loc] of [
      [{ body: '', idempotencyKey: 'a' }, 'body'],
      [{ body: 'x'.repeat(20001), idempotencyKey: 'a' }, 'body'],
      [{ body: 'x' }, 'idempotencyKey'],
      [{ body: 'x', idempotencyKey: 'k'.repeat(201) }, 'idempotencyKey'],
      [{ body: 'x', idempotencyKey: 'a', extra: 1 }, 'extra'],
    ] as const) {
      const r = await send(owner, body);
      expect(r.response?.status).toBe(422);
      expect((r.error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toContainEqual(['body', loc]);
    }
    expect(
      (await postRoomMessage({ path: { room_id: 'nope' }, body: { body: 'x', idempotencyKey: 'a' }, ...owner.as }))
        .response?.status,
    ).toBe(422);
    expect(
      (await postRoomMessage({ path: { room_id: room.id }, body: { body: 'x', idempotencyKey: 'a' } })).response
        ?.status,
    ).toBe(401);
    expect(
      (await send(owner, { body: 'x', idempotencyKey: `${'x'.repeat(10)}a`, big: 'y'.repeat(1_100_000) })).response
        ?.status,
    ).toBe(413);
    expect((await allEvents(room.id, owner)).length).toBe(count);
    await archiveRoom({ path: { room_id: room.id }, ...owner.as });
    const archived = await send(owner, { body: 'x', idempotencyKey: 'a' });
    expect(archived.response?.status).toBe(409);
    expect(archived.error).toMatchObject({ code: 'ROOM_ARCHIVED' });
    // The refused requests recorded no key: the same key still works elsewhere for the same caller.
    expect(await knex()('idempotency_keys').where({ target: room.id, key: 'a' })).toEqual([]);
  });
});

describe('editRoomMessage', () => {
  it('the author edits (200): body, editedAt, refs again, message.edited appended, seq kept; replay is idempotent', async () => {
    const {
      owner,
      room,
      others: [bob],
    } = await roomWith(1);
    const message = await post(room.id, bob!, 'draft');
    const edited = await editRoomMessage({
      path: { room_id: room.id, message_id: message.id },
      body: { body: 'final @owner', idempotencyKey: 'e1' },
      ...bob!.as,
    });
    expect(edited.response?.status).toBe(200);
    expect(edited.data).toMatchObject({
      id: message.id,
      seq: message.seq,
      body: 'final @owner',
      refs: [{ displayName: 'Owner', targetKind: 'human' }],
    });
    expect(edited.data!.editedAt).not.toBeNull();
    expect(edited.data).toMatchObject({
      updatedAt: edited.data!.editedAt,
      createdAt: message.createdAt,
      deletedAt: null,
    });
    const count = (await allEvents(room.id, owner)).length;
    const replay = await editRoomMessage({
      path: { room_id: room.id, message_id: message.id },
      body: { body: 'final @owner', idempotencyKey: 'e1' },
      ...bob!.as,
    });
    expect(replay.response?.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.data).toEqual(edited.data);
    const reused = await editRoomMessage({
      path: { room_id: room.id, message_id: message.id },
      body: { body: 'other', idempotencyKey: 'e1' },
      ...bob!.as,
    });
    expect(reused.response?.status).toBe(409);
    const events = await allEvents(room.id, owner);
    expect(events).toHaveLength(count);
    expect(events.at(-1)).toMatchObject({
      type: 'message.edited',
      render: { slot: 'hidden' },
      payload: { messageId: message.id, body: 'final @owner' },
    });
    const timeline = (await listRoomTimeline({ path: { room_id: room.id }, ...owner.as })).data!;
    expect(timeline.items.find((i) => i.seq === message.seq)).toMatchObject({
      kind: 'message',
      message: { body: 'final @owner' },
      event: { payload: { body: 'draft' } },
    });
  });

  it('a replayed edit is the first answer byte for byte over HTTP: status, body bytes, documented headers, plus Idempotent-Replayed', async () => {
    const {
      room,
      others: [bob],
    } = await roomWith(1);
    const message = await post(room.id, bob!, 'draft');
    const url = `${server.baseUrl}/api/v1/rooms/${room.id}/messages/${message.id}`;
    const body = { body: 'final, with ünïcödé and @owner', idempotencyKey: 'edit-bytes' };
    const first = await sendJson(url, 'PATCH', bob!.token, body);
    expect(first.status).toBe(200);
    const replay = await sendJson(url, 'PATCH', bob!.token, body);
    expectByteExactReplay('editRoomMessage', first, replay);
    expect(JSON.parse(first.body.toString('utf8'))).toMatchObject({ id: message.id, body: body.body });
  });

  it('only the author (403 NOT_MESSAGE_AUTHOR, even the owner), not deleted (409 MESSAGE_DELETED), 404 unknown message', async () => {
    const {
      owner,
      room,
      others: [bob],
    } = await roomWith(1);
    const message = await post(room.id, bob!, 'mine');
    const byOwner = await editRoomMessage({
      path: { room_id: room.id, message_id: message.id },
      body: { body: 'x', idempotencyKey: 'a' },
      ...owner.as,
    });
    expect(byOwner.response?.status).toBe(403);
    expect(byOwner.error).toMatchObject({ code: 'NOT_MESSAGE_AUTHOR' });
    expect(
      (
        await editRoomMessage({
          path: { room_id: room.id, message_id: UNKNOWN },
          body: { body: 'x', idempotencyKey: 'b' },
          ...bob!.as,
        })
      ).response?.status,
    ).toBe(404);
    await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...bob!.as });
    const gone = await editRoomMessage({
      path: { room_id: room.id, message_id: message.id },
      body: { body: 'x', idempotencyKey: 'c' },
      ...bob!.as,
    });
    expect(gone.response?.status).toBe(409);
    expect(gone.error).toMatchObject({ code: 'MESSAGE_DELETED' });
    expect(
      (
        await editRoomMessage({
          path: { room_id: room.id, message_id: message.id },
          body: { body: '', idempotencyKey: 'c' },
          ...bob!.as,
        })
      ).response?.status,
    ).toBe(422);
    expect(
      (
        await editRoomMessage({
          path: { room_id: room.id, message_id: message.id },
          body: { body: 'x'.repeat(1_100_000), idempotencyKey: 'd' },
          ...bob!.as,
        })
      ).response?.status,
    ).toBe(413);
    expect(
      (
        await editRoomMessage({
          path: { room_id: room.id, message_id: message.id },
          body: { body: 'x', idempotencyKey: 'd' },
        })
      ).response?.status,
    ).toBe(401);
    expect((await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id } })).response?.status).toBe(
      401,
    );
  });

  it('concurrent edit and delete of one message: a consistent final state, and the events in the order they happened', async () => {
    const {
      owner,
      room,
      others: [bob],
    } = await roomWith(1);
    for (let round = 0; round < 5; round++) {
      const message = await post(room.id, bob!, `round ${round}`);
      const [edit, del] = await Promise.all([
        editRoomMessage({
          path: { room_id: room.id, message_id: message.id },
          body: { body: 'edited', idempotencyKey: randomUUID() },
          ...bob!.as,
        }),
        deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...bob!.as }),
      ]);
      expect(del.response?.status).toBe(200);
      expect(del.data).toMatchObject({ body: '', refs: [] });
      const mine = (await allEvents(room.id, owner)).filter((e) => e.subject.id === message.id);
      if (edit.response?.status === 200) {
        expect(mine.map((e) => e.type)).toEqual(['message.posted', 'message.edited', 'message.deleted']);
        expect(mine[1]!.seq).toBeLessThan(mine[2]!.seq);
      } else {
        expect(edit.response?.status).toBe(409);
        expect(mine.map((e) => e.type)).toEqual(['message.posted', 'message.deleted']);
      }
      const row = await knex()('room_messages').where('id', message.id).first();
      expect(row).toMatchObject({ body: '' });
      expect(row.deletedAt).not.toBeNull();
      for (const e of mine.filter((x) => x.type !== 'message.deleted'))
        expect(e.payload).toMatchObject({ body: '', refs: [] });
    }
  });
});

describe('deleteRoomMessage', () => {
  it('soft-deletes (author or owner), strips the body from the message and its events, idempotently (no second event)', async () => {
    const {
      owner,
      room,
      others: [bob, carol],
    } = await roomWith(2);
    const message = await post(room.id, bob!, 'secret @owner');
    const byOther = await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...carol!.as });
    expect(byOther.response?.status).toBe(403);
    expect(byOther.error).toMatchObject({ code: 'NOT_MESSAGE_AUTHOR' });
    const deleted = await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...owner.as });
    expect(deleted.response?.status).toBe(200);
    expect(deleted.data).toMatchObject({
      id: message.id,
      seq: message.seq,
      body: '',
      refs: [],
      editedAt: null,
      createdAt: message.createdAt,
    });
    expect(deleted.data!.deletedAt).not.toBeNull();
    expect(deleted.data!.updatedAt).toBe(deleted.data!.deletedAt);
    const count = (await allEvents(room.id, owner)).length;
    const again = await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...bob!.as });
    expect(again.data).toEqual(deleted.data);
    const events = await allEvents(room.id, owner);
    expect(events).toHaveLength(count);
    expect(events.at(-1)).toMatchObject({
      type: 'message.deleted',
      payload: { messageId: message.id },
      render: { slot: 'hidden' },
    });
    expect(events.find((e) => e.seq === message.seq)!.payload).toMatchObject({ body: '', refs: [] });
    expect(JSON.stringify(events)).not.toContain('secret');
    expect(
      (await deleteRoomMessage({ path: { room_id: room.id, message_id: UNKNOWN }, ...owner.as })).response?.status,
    ).toBe(404);
    expect(
      (await deleteRoomMessage({ path: { room_id: room.id, message_id: 'x' }, ...owner.as })).response?.status,
    ).toBe(422);
    const other = await post(room.id, bob!, 'keep');
    await archiveRoom({ path: { room_id: room.id }, ...owner.as });
    const archived = await deleteRoomMessage({ path: { room_id: room.id, message_id: other.id }, ...bob!.as });
    expect(archived.response?.status).toBe(409);
    expect(
      (await deleteRoomMessage({ path: { room_id: room.id, message_id: message.id }, ...bob!.as })).response?.status,
    ).toBe(200);
  });
});

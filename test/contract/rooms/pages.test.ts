// The Rooms lists that grow with other users' data, a page at a time (limit and offset, or a version cursor):
// a room's participants and invitations, the platform's documents, a document's versions; and what a Room
// embeds of its current participants (the first 50, with their count).
import { describe, expect, it } from 'vitest';
import {
  createRulesDocument,
  getDocument,
  getRoom,
  listAgentRoles,
  listDocumentVersions,
  listRoomInvitations,
  listRoomParticipants,
  listRooms,
  listRulesDocuments,
} from '@platform/client';
import { inviteHuman, joinRoom, newRoom, UNKNOWN } from '../../helpers/rooms.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;
const TIED = '2100-01-01T00:00:00Z';

/** `n` people (by SQL: nobody signs in as them) made current participants of the room, all joined at `at`. */
async function bulkParticipants(roomId: string, n: number, at = TIED): Promise<string[]> {
  const tag = Math.random().toString(36).slice(2);
  const users = await knex().raw(
    `insert into users (name, email, password_hash) select 'Bulk ' || i, 'bulk' || i || '-' || ? || '@example.com', 'x' from generate_series(1, ?) as i returning id, name`,
    [tag, n],
  );
  const rows = await knex()('room_participants')
    .insert(
      (users.rows as Array<{ id: string; name: string }>).map((u) => ({
        roomId,
        participantKind: 'human',
        membershipId: u.id,
        displayName: u.name,
        joinedAt: at,
        createdAt: at,
        updatedAt: at,
      })),
    )
    .returning('id');
  return (rows as Array<{ id: string }>).map((r) => r.id);
}

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);

/** Every page of an offset list, `limit` at a time, until a short page. */
async function allPages<T>(
  read: (query: { limit: number; offset: number }) => Promise<T[]>,
  limit: number,
): Promise<T[]> {
  const all: T[] = [];
  for (;;) {
    const page = await read({ limit, offset: all.length });
    all.push(...page);
    if (page.length < limit) return all;
  }
}

/** A 422 in FastAPI's shape naming `query.<field>`. */
async function refuses(call: Promise<{ response?: Response; error?: unknown }>, field: string): Promise<void> {
  const { response, error } = await call;
  expect(response?.status).toBe(422);
  expect((error as { detail: Array<{ loc: unknown[] }> }).detail.map((d) => d.loc)).toContainEqual(['query', field]);
}

describe('listRoomParticipants', () => {
  it('reads a page, the next and past the last, in the order people first joined', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const joined: TestUser[] = [];
    for (const name of ['Bob', 'Carol', 'Dave']) {
      const user = await newUser(name);
      await joinRoom(room.id, alice, user);
      joined.push(user);
    }
    const page = async (offset: number) =>
      (await listRoomParticipants({ path: { room_id: room.id }, query: { limit: 2, offset }, ...alice.as })).data!
        .items;
    expect((await page(0)).map((p) => p.displayName)).toEqual(['Alice', 'Bob']);
    expect((await page(2)).map((p) => p.displayName)).toEqual(['Carol', 'Dave']);
    expect(await page(4)).toEqual([]);
  });

  it('orders people who joined at the same instant by id, serves 100 at most, and refuses 101 and a negative offset (422)', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const tied = await bulkParticipants(room.id, 120);
    const read = (query: { limit: number; offset: number }) =>
      listRoomParticipants({ path: { room_id: room.id }, query, ...alice.as }).then((r) => r.data!.items);
    const all = await allPages(read, 7);
    expect(ids(all).slice(1)).toEqual([...tied].sort()); // after the owner, who joined first
    expect(await read({ limit: 100, offset: 0 })).toHaveLength(100);
    expect((await listRoomParticipants({ path: { room_id: room.id }, ...alice.as })).data!.items).toHaveLength(50); // the default page
    await refuses(listRoomParticipants({ path: { room_id: room.id }, query: { limit: 101 }, ...alice.as }), 'limit');
    await refuses(listRoomParticipants({ path: { room_id: room.id }, query: { limit: 0 }, ...alice.as }), 'limit');
    await refuses(listRoomParticipants({ path: { room_id: room.id }, query: { offset: -1 }, ...alice.as }), 'offset');
  });
});

describe('Room.participants', () => {
  it('embeds the first 50 current participants in join order, counts them all, and knows a caller past the first 50', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const bulk = await bulkParticipants(room.id, 60, '2000-01-01T00:00:00Z');
    const late = await newUser('Late');
    await joinRoom(room.id, alice, late); // joins now: the 62nd current participant

    const seen = (await getRoom({ path: { room_id: room.id }, ...late.as })).data!;
    expect(seen).toMatchObject({ participantCount: 62, actorIsParticipant: true });
    expect(ids(seen.participants)).toEqual([...bulk].sort().slice(0, 50)); // joined in 2000, before Alice
    const listed = (await listRooms({ ...late.as })).data!.items.find((r) => r.id === room.id)!;
    expect(listed).toMatchObject({ participantCount: 62, actorIsParticipant: true, participants: seen.participants });
    const small = await newRoom(alice, 'Small');
    expect((await getRoom({ path: { room_id: small.id }, ...alice.as })).data).toMatchObject({
      participantCount: 1,
      participants: [{ membershipId: alice.user.id }],
    });
  });
});

describe('listRoomInvitations', () => {
  it('reads a page and the next, newest first, invitations created at the same instant by id', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    const made: string[] = [];
    for (let n = 0; n < 5; n++) made.push((await inviteHuman(room.id, alice, null)).id);
    const page = async (offset: number) =>
      ids(
        (await listRoomInvitations({ path: { room_id: room.id }, query: { limit: 2, offset }, ...alice.as })).data!
          .items,
      );
    expect(await page(0)).toEqual([made[4], made[3]]);
    expect(await page(2)).toEqual([made[2], made[1]]);
    expect(await page(4)).toEqual([made[0]]);

    await knex()('room_invitations').where('roomId', room.id).update({ createdAt: TIED });
    const read = (query: { limit: number; offset: number }) =>
      listRoomInvitations({ path: { room_id: room.id }, query, ...alice.as }).then((r) => r.data!.items);
    expect(ids(await allPages(read, 2))).toEqual([...made].sort().reverse());
  });

  it('serves 100 at most and refuses 101 and a negative offset (422)', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    await refuses(listRoomInvitations({ path: { room_id: room.id }, query: { limit: 101 }, ...alice.as }), 'limit');
    await refuses(listRoomInvitations({ path: { room_id: room.id }, query: { offset: -1 }, ...alice.as }), 'offset');
    expect(
      (await listRoomInvitations({ path: { room_id: room.id }, query: { limit: 100 }, ...alice.as })).data!.items,
    ).toEqual([]);
  });
});

describe('listRulesDocuments and listAgentRoles', () => {
  it('read every document of the kind once, by name in any case then id, 100 at most a page', async () => {
    const alice = await newUser('Alice');
    // 105 rules documents with three names differing only in case: ties broken by id.
    const now = new Date().toISOString();
    const docs = await knex()('room_documents')
      .insert(
        Array.from({ length: 105 }, (_, n) => ({
          kind: 'rules',
          creatorId: alice.user.id,
          displayName: ['Tie', 'tie', 'TIE'][n % 3]!,
          latestVersion: 1,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .returning(['id', 'displayName']);
    await knex()('room_document_versions').insert(
      (docs as Array<{ id: string; displayName: string }>).map((d) => ({
        documentId: d.id,
        version: 1,
        displayName: d.displayName,
        body: 'x',
        createdAt: now,
      })),
    );
    await createRulesDocument({ body: { displayName: 'access', body: 'x' }, ...alice.as });
    await createRulesDocument({ body: { displayName: 'Zebra', body: 'x' }, ...alice.as });

    const read = (query: { limit: number; offset: number }) =>
      listRulesDocuments({ query, ...alice.as }).then((r) => r.data!.items);
    const all = await allPages(read, 100);
    const expected = (
      await knex()('room_documents').where('kind', 'rules').select('id').orderByRaw('lower(display_name), id')
    ).map((d: { id: string }) => d.id);
    expect(all.map((d) => d.documentId)).toEqual(expected);
    expect(all.map((d) => d.displayName).at(0)).toBe('access');
    expect(all.map((d) => d.displayName).at(-1)).toBe('Zebra');
    expect(await read({ limit: 100, offset: 0 })).toHaveLength(100);
    expect((await listRulesDocuments({ ...alice.as })).data!.items).toHaveLength(50); // the default page
    for (const call of [listRulesDocuments, listAgentRoles]) {
      await refuses(call({ query: { limit: 101 }, ...alice.as }), 'limit');
      await refuses(call({ query: { offset: -1 }, ...alice.as }), 'offset');
    }
  });
});

describe('getDocument and listDocumentVersions', () => {
  /** A rules document with versions 1 to `n` (2 to n by SQL). */
  async function documentWith(owner: TestUser, n: number): Promise<string> {
    const doc = (await createRulesDocument({ body: { displayName: 'Norms', body: 'v1' }, ...owner.as })).data!;
    await knex()('room_document_versions').insert(
      Array.from({ length: n - 1 }, (_, i) => ({
        documentId: doc.id,
        version: i + 2,
        displayName: 'Norms',
        body: `v${i + 2}`,
        createdAt: new Date().toISOString(),
      })),
    );
    await knex()('room_documents').where('id', doc.id).update({ latestVersion: n });
    return doc.id;
  }
  const numbers = (versions: Array<{ version: number }>) => versions.map((v) => v.version);
  const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

  it('getDocument embeds the 10 newest versions; listDocumentVersions pages back from any version to version 1', async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const id = await documentWith(alice, 25);
    const detail = (await getDocument({ path: { document_id: id }, ...bob.as })).data!;
    expect(numbers(detail.versions)).toEqual(range(25, 16));
    expect(detail.latestVersion).toEqual(detail.versions[0]);

    const versions = (query: { beforeVersion?: number; limit?: number }) =>
      listDocumentVersions({ path: { document_id: id }, query, ...bob.as });
    const first = await versions({});
    expect(first.response?.status).toBe(200);
    expect(first.data!.items).toEqual(detail.versions);
    expect(numbers((await versions({ beforeVersion: 16 })).data!.items)).toEqual(range(15, 6));
    expect(numbers((await versions({ beforeVersion: 6, limit: 20 })).data!.items)).toEqual(range(5, 1));
    expect((await versions({ beforeVersion: 1 })).data!.items).toEqual([]);
    expect(numbers((await versions({ limit: 20 })).data!.items)).toEqual(range(25, 6));

    const small = await documentWith(alice, 3);
    expect(numbers((await getDocument({ path: { document_id: small }, ...bob.as })).data!.versions)).toEqual([3, 2, 1]);
  });

  it('refuses a limit above 20, a beforeVersion below 1 (422), an unknown document (404) and anonymous callers (401)', async () => {
    const alice = await newUser('Alice');
    const id = await documentWith(alice, 2);
    await refuses(listDocumentVersions({ path: { document_id: id }, query: { limit: 21 }, ...alice.as }), 'limit');
    await refuses(listDocumentVersions({ path: { document_id: id }, query: { limit: 0 }, ...alice.as }), 'limit');
    await refuses(
      listDocumentVersions({ path: { document_id: id }, query: { beforeVersion: 0 }, ...alice.as }),
      'beforeVersion',
    );
    const missing = await listDocumentVersions({ path: { document_id: UNKNOWN }, ...alice.as });
    expect(missing.response?.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await listDocumentVersions({ path: { document_id: id } })).response?.status).toBe(401);
    expect((await listDocumentVersions({ path: { document_id: 'x' }, ...alice.as })).response?.status).toBe(422);
  });
});

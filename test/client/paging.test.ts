// paginate walks every paged list the way its x-paging in the contract says, against the real server: each
// style (page/limit, offset/limit, a keyset on seq or on a datetime, an opaque cursor) yields every item
// exactly once, in the list's order, and `.pages()` yields the answers a page at a time.
import { describe, expect, it } from 'vitest';
import {
  createCommunity,
  createSpace,
  getCsQueue,
  inviteCsAgent,
  listCommunityMessages,
  listRoomEvents,
  listRooms,
  listSpaces,
  paginate,
  sendCommunityMessage,
  startOfficialChat,
  ApiError,
} from '@platform/client';
import { allEvents, newRoom, post } from '../helpers/rooms.js';
import { useTestServer } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

useTestServer();

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe('paginate', () => {
  it('page/limit (listSpaces): every space once, page after page until totalPages', async () => {
    const alice = await newUser('Alice');
    const tag = `pg${Date.now().toString(36)}`;
    for (let n = 0; n < 5; n++)
      await createSpace({ body: { name: `${tag} ${n}`, category: 'paging', tags: [tag] }, ...alice.as });
    const spaces = await collect(paginate(listSpaces, { query: { search: tag, limit: 2 }, ...alice.as }));
    expect(spaces.map((s) => s.name).sort()).toEqual([0, 1, 2, 3, 4].map((n) => `${tag} ${n}`));
    const pages = await collect(paginate(listSpaces, { query: { search: tag, limit: 2 }, ...alice.as }).pages());
    expect(pages.map((p) => [p.page, p.spaces.length])).toEqual([
      [1, 2],
      [2, 2],
      [3, 1],
    ]);
  });

  it('offset/limit (listRooms): every room once, most recently active first, ending on a short page', async () => {
    const alice = await newUser('Alice');
    for (let n = 0; n < 7; n++) await newRoom(alice, `Room ${n}`);
    const all = (await listRooms({ query: { limit: 100 }, ...alice.as })).data!.items;
    const rooms = await collect(paginate(listRooms, { query: { limit: 3 }, ...alice.as }));
    expect(rooms.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(rooms).toHaveLength(7);
    expect(
      (await collect(paginate(listRooms, { query: { limit: 3 }, ...alice.as }).pages())).map((p) => p.items.length),
    ).toEqual([3, 3, 1]);
  });

  it('keyset on seq (listRoomEvents): the whole log from afterSeq 0, ascending, or from a given seq', async () => {
    const alice = await newUser('Alice');
    const room = await newRoom(alice);
    for (let n = 0; n < 6; n++) await post(room.id, alice, `message ${n}`);
    const log = await allEvents(room.id, alice);
    const events = await collect(
      paginate(listRoomEvents, { path: { room_id: room.id }, query: { limit: 3 }, ...alice.as }),
    );
    expect(events.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, n) => n + 1));
    const rest = await collect(
      paginate(listRoomEvents, { path: { room_id: room.id }, query: { afterSeq: 4, limit: 2 }, ...alice.as }),
    );
    expect(rest.map((e) => e.seq)).toEqual(log.slice(4).map((e) => e.seq));
  });

  it('keyset on a datetime (listCommunityMessages): every message once, newest first, until hasMore is false', async () => {
    const alice = await newUser('Alice');
    const id = (await createCommunity({ body: { name: 'Paging club' }, ...alice.as })).data!.id;
    for (let n = 0; n < 5; n++) await sendCommunityMessage({ path: { id }, body: { content: `m${n}` }, ...alice.as });
    const messages = await collect(paginate(listCommunityMessages, { path: { id }, query: { limit: 2 }, ...alice.as }));
    expect(messages.map((m) => m.content)).toEqual(['m4', 'm3', 'm2', 'm1', 'm0']);
  });

  it('an opaque cursor (getCsQueue): nextCursor to the end', async () => {
    const creator = await newUser('Creator');
    const agent = await newUser('Agent');
    const id = (
      await createCommunity({ body: { name: 'Acme Official', type: 'official', csMode: 'hybrid' }, ...creator.as })
    ).data!.id;
    await inviteCsAgent({ path: { id }, body: { userId: agent.user.id }, ...creator.as });
    for (let n = 0; n < 5; n++) await startOfficialChat({ path: { id }, ...(await newUser(`Customer ${n}`)).as });
    const whole = (await getCsQueue({ path: { id }, ...agent.as })).data!.queue;
    const paged = await collect(paginate(getCsQueue, { path: { id }, query: { limit: 2 }, ...agent.as }));
    expect(paged.map((e) => e.conversationId)).toEqual(whole.map((e) => e.conversationId));
    expect(paged).toHaveLength(5);
  });

  it('throws the first refused page as an ApiError', async () => {
    const stranger = await newUser('Stranger');
    const owner = await newUser('Owner');
    const room = await newRoom(owner);
    const thrown = await collect(paginate(listRoomEvents, { path: { room_id: room.id }, ...stranger.as })).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(ApiError);
    expect(thrown).toMatchObject({ status: 404, operationId: 'listRoomEvents' });
  });
});

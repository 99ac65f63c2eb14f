// The CS queue a page at a time: the documented order across pages, the cursor (opaque, bound to its status
// filter, exact to the database's microseconds), paging while conversations change status, bad input and
// who may read it.
import { describe, expect, it } from 'vitest';
import {
  acceptTransfer,
  createCommunity,
  getCsQueue,
  inviteCsAgent,
  joinCommunity,
  leaveCommunity,
  requestHumanTransfer,
  resolveConversation,
  startOfficialChat,
  updateCommunityMemberRole,
  type ConversationStatus,
  type CsQueueEntry,
} from '@platform/client';
import { csQueuePage, decodeQueueCursor } from '../../../src/official/index.js';
import { fieldsOf } from '../../helpers/problems.js';
import { UNKNOWN } from '../../helpers/rooms.js';
import { useTestServer } from '../../helpers/server.js';
import { newUser, type TestUser } from '../../helpers/users.js';

const server = useTestServer();
const knex = () => server.platform.database.knex;
const PRIORITY: Record<ConversationStatus, number> = { waiting_human: 0, human_active: 1, ai_active: 2, resolved: 3 };

interface Official {
  id: string;
  creator: TestUser;
  agent: TestUser;
  customers: TestUser[];
  conversations: string[];
}

/** A hybrid official community with a CS agent and `customers` conversations, all `ai_active`, started in order. */
async function official(customers: number): Promise<Official> {
  const creator = await newUser('Creator');
  const agent = await newUser('Agent');
  const id = (
    await createCommunity({ body: { name: 'Acme Official', type: 'official', csMode: 'hybrid' }, ...creator.as })
  ).data!.id;
  await inviteCsAgent({ path: { id }, body: { userId: agent.user.id }, ...creator.as });
  const users = await Promise.all(Array.from({ length: customers }, (_, n) => newUser(`Customer ${n}`)));
  const conversations: string[] = [];
  for (const user of users)
    conversations.push((await startOfficialChat({ path: { id }, ...user.as })).data!.conversationId);
  return { id, creator, agent, customers: users, conversations };
}

/** Every page, following nextCursor until it is null. */
async function pages(
  o: Official,
  who: TestUser,
  limit: number,
  status?: ConversationStatus,
): Promise<CsQueueEntry[][]> {
  const result: CsQueueEntry[][] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await getCsQueue({
      path: { id: o.id },
      query: { limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) },
      ...who.as,
    });
    if (!data) throw new Error(JSON.stringify(error));
    expect(data.queue.length).toBeLessThanOrEqual(limit);
    result.push(data.queue);
    cursor = data.nextCursor ?? undefined;
    expect(result.length).toBeLessThan(50);
  } while (cursor);
  return result;
}

const ids = (entries: CsQueueEntry[]) => entries.map((e) => e.conversationId);

/** The documented order, checked pairwise. */
function expectQueueOrder(entries: CsQueueEntry[]): void {
  for (let n = 1; n < entries.length; n++) {
    const [a, b] = [entries[n - 1]!, entries[n]!];
    const key = (e: CsQueueEntry) => [PRIORITY[e.status], Date.parse(e.updatedAt)] as const;
    const [[pa, ta], [pb, tb]] = [key(a), key(b)];
    expect(
      pa < pb || (pa === pb && (ta < tb || (ta === tb && a.id < b.id))),
      `${a.status} ${a.updatedAt} ${a.id} before ${b.status} ${b.updatedAt} ${b.id}`,
    ).toBe(true);
  }
}

describe('getCsQueue, a page at a time', () => {
  it('pages in the documented order: every conversation once, none missing, nextCursor null on the last page', async () => {
    const o = await official(7);
    const c = o.customers;
    for (const n of [4, 1, 6, 2]) await requestHumanTransfer({ path: { id: o.id }, ...c[n]!.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversations[6]! }, ...o.agent.as });
    await resolveConversation({ path: { id: o.id }, body: { conversationId: o.conversations[0]! }, ...c[0]!.as });

    const whole = (await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!;
    expect(whole.nextCursor).toBeNull();
    expect(ids(whole.queue)).toEqual([4, 1, 2, 6, 3, 5, 0].map((n) => o.conversations[n]));
    expect(whole.queue.map((e) => e.status)).toEqual([
      'waiting_human',
      'waiting_human',
      'waiting_human',
      'human_active',
      'ai_active',
      'ai_active',
      'resolved',
    ]);
    expectQueueOrder(whole.queue);
    expect(whole.queue[3]).toMatchObject({
      userId: c[6]!.user.id,
      userName: 'Customer 6',
      assignedCsId: o.agent.user.id,
    });

    for (const limit of [1, 2, 3, 7]) {
      const paged = await pages(o, o.creator, limit);
      expect(
        paged.flat().map((e) => e.conversationId),
        `limit ${limit}`,
      ).toEqual(ids(whole.queue));
      expect(paged.length).toBe(Math.ceil(7 / limit)); // a full last page says so: no empty page after it
    }
    expect((await pages(o, o.agent, 2, 'waiting_human')).flat().map((e) => e.conversationId)).toEqual(
      ids(whole.queue.slice(0, 3)),
    );
    expect((await pages(o, o.agent, 1, 'resolved')).map(ids)).toEqual([[o.conversations[0]]]);
    expect((await getCsQueue({ path: { id: o.id }, query: { limit: 100 }, ...o.agent.as })).data!.queue).toHaveLength(
      7,
    );
  });

  it('defaults to 50 entries a page', async () => {
    const o = await official(1);
    // 60 more conversations by SQL (their customers need no credentials), all waiting since the same instant.
    await knex().raw(
      `insert into users (name, email, password_hash) select 'Bulk ' || i, 'bulk' || i || '-' || ? || '@example.com', 'x' from generate_series(1, 60) as i`,
      [o.id],
    );
    await knex().raw(
      `insert into conversations (community_id, customer_id, status) select ?, id, 'ai_active' from users where email like ?`,
      [o.id, `bulk%-${o.id}@example.com`],
    );
    const first = (await getCsQueue({ path: { id: o.id }, ...o.agent.as })).data!;
    expect(first.queue).toHaveLength(50);
    const second = (await getCsQueue({ path: { id: o.id }, query: { cursor: first.nextCursor! }, ...o.agent.as }))
      .data!;
    expect(second.queue).toHaveLength(11);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...ids(first.queue), ...ids(second.queue)]).size).toBe(61);
  });

  it('keeps microsecond waiting times apart: no entry repeated or skipped by rounding to milliseconds', async () => {
    const o = await official(5);
    // Five conversations waiting since the same millisecond, four of them in distinct microseconds, two tied.
    const times = [
      '2025-03-14T10:00:00.123456Z',
      '2025-03-14T10:00:00.123001Z',
      '2025-03-14T10:00:00.123999Z',
      '2025-03-14T10:00:00.123001Z',
      '2025-03-14T10:00:00.123500Z',
    ];
    for (const [n, at] of times.entries())
      await knex()('conversations').where('id', o.conversations[n]!).update({ status: 'waiting_human', updatedAt: at });
    const tied = [o.conversations[1]!, o.conversations[3]!].sort();
    const expected = [...tied, o.conversations[0], o.conversations[4], o.conversations[2]];
    for (const limit of [1, 2])
      expect((await pages(o, o.agent, limit)).flat().map((e) => e.conversationId)).toEqual(expected);
  });

  it('lists unchanged conversations exactly once while others change between pages; a changed one moves to its new place', async () => {
    const o = await official(6);
    const c = o.customers;
    for (const n of [0, 1, 2]) await requestHumanTransfer({ path: { id: o.id }, ...c[n]!.as });
    // Queue: waiting 0, 1, 2; ai_active 3, 4, 5.
    const first = (await getCsQueue({ path: { id: o.id }, query: { limit: 4 }, ...o.agent.as })).data!;
    expect(ids(first.queue)).toEqual([0, 1, 2, 3].map((n) => o.conversations[n]));
    // Between the pages: 4 starts waiting and 1 is accepted (both now before the cursor, at 3: not on the next
    // pages); 0 is resolved (after it: listed again, as resolved).
    await requestHumanTransfer({ path: { id: o.id }, ...c[4]!.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversations[1]! }, ...o.agent.as });
    await resolveConversation({ path: { id: o.id }, body: { conversationId: o.conversations[0]! }, ...c[0]!.as });
    const rest = (await pages(o, o.agent, 4)).flat();
    const second = (
      await getCsQueue({ path: { id: o.id }, query: { limit: 4, cursor: first.nextCursor! }, ...o.agent.as })
    ).data!;
    expect(second.queue.map((e) => [e.conversationId, e.status])).toEqual([
      [o.conversations[5], 'ai_active'],
      [o.conversations[0], 'resolved'],
    ]);
    expect(second.nextCursor).toBeNull();
    // Unchanged conversations (2, 3, 5): once each across the two pages.
    const seen = [...ids(first.queue), ...ids(second.queue)];
    for (const n of [2, 3, 5]) expect(seen.filter((id) => id === o.conversations[n])).toHaveLength(1);
    // Read again from the head, the queue shows the new state in order.
    expect(rest.map((e) => [e.conversationId, e.status])).toEqual([
      [o.conversations[2], 'waiting_human'],
      [o.conversations[4], 'waiting_human'],
      [o.conversations[1], 'human_active'],
      [o.conversations[3], 'ai_active'],
      [o.conversations[5], 'ai_active'],
      [o.conversations[0], 'resolved'],
    ]);
  });

  it('answers the JSON of the knex read, its cursors text for text, in every shape (status filter, cursor)', async () => {
    const o = await official(6);
    const c = o.customers;
    for (const n of [3, 0, 5]) await requestHumanTransfer({ path: { id: o.id }, ...c[n]!.as });
    await acceptTransfer({ path: { id: o.id }, body: { conversationId: o.conversations[5]! }, ...o.agent.as });
    await resolveConversation({ path: { id: o.id }, body: { conversationId: o.conversations[1]! }, ...c[1]!.as });
    // A customer with an image: the queue shows it.
    await knex()('users')
      .where('id', c[2]!.user.id)
      .update({ image: 'https://example.com/avatars/c.png?size=64&name=a%22b' });
    for (const status of [undefined, 'waiting_human', 'ai_active', 'human_active'] as const) {
      for (const limit of [1, 2, 100]) {
        let cursor: string | undefined;
        let read = 0;
        do {
          const query = { limit, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
          const rendered = (await getCsQueue({ path: { id: o.id }, query, ...o.agent.as })).data!;
          const after = cursor ? decodeQueueCursor(cursor, status) : undefined;
          const expected = await csQueuePage(knex(), o.id, { status, limit, ...(after ? { after } : {}) });
          expect(rendered, `status ${status}, limit ${limit}, page ${read}`).toEqual(expected);
          cursor = rendered.nextCursor ?? undefined;
          read += 1;
        } while (cursor);
      }
    }
  });

  it('refuses a bad limit or cursor with 400 naming the field', async () => {
    const o = await official(3);
    await requestHumanTransfer({ path: { id: o.id }, ...o.customers[0]!.as });
    const call = (query: Record<string, unknown>) =>
      getCsQueue({ path: { id: o.id }, query: query as never, ...o.agent.as });
    for (const limit of ['0', '101', '-1', '1.5', 'ten', '0x10']) {
      const bad = await call({ limit });
      expect(bad.response?.status, `limit=${limit}`).toBe(400);
      expect(fieldsOf(bad.error)).toEqual(['query:limit']);
    }
    const valid = (await call({ limit: 1 })).data!.nextCursor!;
    const waiting = (await call({ limit: 1, status: 'ai_active' })).data!.nextCursor!;
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const [, , priority, at, id] = JSON.parse(Buffer.from(valid, 'base64url').toString()) as [
      number,
      null,
      number,
      string,
      string,
    ];
    const cursors: Array<[string, Record<string, unknown>]> = [
      ['empty', { cursor: '' }],
      ['not base64url', { cursor: 'a+b/c=' }],
      ['too long', { cursor: 'a'.repeat(201) }],
      ['not JSON', { cursor: 'bm90IGpzb24' }],
      ['another shape', { cursor: forge({ id }) }],
      ['another version', { cursor: forge([2, null, priority, at, id]) }],
      ['a priority out of range', { cursor: forge([1, null, 9, at, id]) }],
      ['no such day', { cursor: forge([1, null, priority, '2025-02-30T10:00:00.000000Z', id]) }],
      ['milliseconds only', { cursor: forge([1, null, priority, '2025-03-14T10:00:00.000Z', id]) }],
      ['year 0', { cursor: forge([1, null, priority, '0000-01-01T00:00:00.000000Z', id]) }],
      ['not a uuid', { cursor: forge([1, null, priority, at, 'x']) }],
      ['an unknown status', { cursor: forge([1, 'lost', priority, at, id]) }],
      ['a status and another priority', { cursor: forge([1, 'resolved', 0, at, id]) }],
      ['another status filter', { cursor: waiting, status: 'waiting_human' }],
      ['a filtered cursor without the filter', { cursor: waiting }],
      ['an unfiltered cursor with a filter', { cursor: valid, status: 'ai_active' }],
    ];
    for (const [why, query] of cursors) {
      const bad = await call(query);
      expect(bad.response?.status, why).toBe(400);
      expect(bad.error, why).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect([...new Set(fieldsOf(bad.error))], why).toEqual(['query:cursor']);
    }
    expect((await call({ cursor: valid })).response?.status).toBe(200);
    expect((await call({ cursor: waiting, status: 'ai_active' })).response?.status).toBe(200);
  });

  it('is read by the creator, moderators and CS agents only', async () => {
    const o = await official(2);
    const [moderator, member, stranger, leaver, demoted] = (await Promise.all(
      ['Moderator', 'Member', 'Stranger', 'Leaver', 'Demoted'].map((n) => newUser(n)),
    )) as [TestUser, TestUser, TestUser, TestUser, TestUser];
    for (const user of [moderator, member, demoted]) await joinCommunity({ path: { id: o.id }, ...user.as });
    for (const user of [moderator, demoted])
      await updateCommunityMemberRole({
        path: { id: o.id, user_id: user.user.id },
        body: { role: 'moderator' },
        ...o.creator.as,
      });
    await updateCommunityMemberRole({
      path: { id: o.id, user_id: demoted.user.id },
      body: { role: 'member' },
      ...o.creator.as,
    });
    await inviteCsAgent({ path: { id: o.id }, body: { userId: leaver.user.id }, ...o.creator.as });
    await leaveCommunity({ path: { id: o.id }, ...leaver.as });
    for (const staff of [o.creator, moderator, o.agent]) {
      const read = await getCsQueue({ path: { id: o.id }, query: { limit: 1 }, ...staff.as });
      expect(read.response?.status).toBe(200);
      expect(read.data!.queue).toHaveLength(1);
    }
    for (const refused of [o.customers[0]!, member, stranger, leaver, demoted]) {
      expect((await getCsQueue({ path: { id: o.id }, ...refused.as })).error).toMatchObject({ code: 'NOT_CS_STAFF' });
    }
    expect((await getCsQueue({ path: { id: o.id }, query: { limit: 1 } })).response?.status).toBe(401);
    expect((await getCsQueue({ path: { id: UNKNOWN }, ...o.agent.as })).response?.status).toBe(404);
  });
});

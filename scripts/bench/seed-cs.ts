// The customer-service rows' data (called by seed.ts when --only names one of them): official communities
// whose CS queue the owner (their creator) reads a page of, with 1,000, 10,000 and 100,000 conversations,
// and one official community whose conversations of 1,000, 10,000 and 100,000 messages the owner reads the
// newest page of.
//
// Through the real services: the communities (CommunitiesService.create, with the owner's creator
// membership). Bulk SQL for volume: the customers (users without sessions: nobody signs in as them), the
// conversations (one per customer and community, the four statuses in turn, waiting since n seconds ago)
// and the messages (customer and AI in turn, created_at strictly increasing 1 ms apart as
// ConversationsService.append makes them, with the conversation's last_message_at counter set past them).
//
// For each size it also records the page query's plan and execution time (EXPLAIN ANALYZE, one query in
// this process): the queue's first page, a page from the middle of the largest queue (by cursor), and a
// message page; that they stay flat from 1,000 to 100,000 is the index's doing (conversations_queue_idx,
// unique (conversation_id, created_at)).
import type { Knex } from 'knex';
import {
  QUEUE_PRIORITY,
  encodeQueueCursor,
  queuePrioritySql,
  waitingSinceSql,
} from '../../src/official/queue-cursor.js';
import type { ConversationStatus } from '../../src/conversations/models.js';
import type { Principal } from '../../src/platform/principal.js';
import type { Services } from '../../src/services.js';
import { contractBody } from '../../src/platform/contract-body.js';

export const CS_SIZES = [1_000, 10_000, 100_000];
export const PAGE = 50;
const STATUSES: ConversationStatus[] = ['waiting_human', 'human_active', 'ai_active', 'resolved'];
const BATCH = 10_000;

export interface PlanSample {
  /** What was read: `queue`, `queue (cursor)` or `messages`, and the size. */
  label: string;
  size: number;
  /** The plan's node types, outermost first, with the index each scan uses. */
  plan: string;
  executionMs: number;
  /** Shared buffers the query touched (hit + read). */
  buffers: number;
}

export interface SeededCs {
  /** Official community id per queue size. */
  queueCommunityIds: Record<string, string>;
  /** The largest queue's middle: a cursor after its first half. */
  middleCursor: { size: number; cursor: string };
  historyCommunityId: string;
  /** Conversation id per message count. */
  conversationIds: Record<string, string>;
  plans: PlanSample[];
  csMs: number;
}

export async function seedCs(knex: Knex, services: Services, owner: Principal): Promise<SeededCs> {
  const started = performance.now();
  const largest = Math.max(...CS_SIZES);
  await knex.raw(
    `insert into users (name, email, password_hash) select 'Customer ' || i, 'cs-customer' || i || '@example.com', 'not-a-password'
    from generate_series(1, ?::int) as i`,
    [largest],
  );
  // Customers in a fixed order (n = 1, 2, ...), for the batches below (a plain table: the pool has several connections).
  await knex.raw(`create table bench_customers as
    select id, row_number() over (order by id) as n from users where email like 'cs-customer%'`);

  const queueCommunityIds: Record<string, string> = {};
  for (const size of CS_SIZES) {
    const community = await services.communities.create(
      owner,
      contractBody('createCommunity', {
        name: `Bench CS queue (${size} conversations)`,
        type: 'official',
        csMode: 'hybrid',
      }),
    );
    for (let from = 1; from <= size; from += BATCH) {
      await knex.raw(
        `insert into conversations (community_id, customer_id, status, created_at, updated_at)
        select ?, c.id, (array['${STATUSES.join("', '")}'])[1 + (c.n % 4)], now() - make_interval(secs => c.n), now() - make_interval(secs => c.n)
        from bench_customers c where c.n between ? and ?`,
        [community.id, from, Math.min(size, from + BATCH - 1)],
      );
    }
    queueCommunityIds[String(size)] = community.id;
  }

  const history = await services.communities.create(
    owner,
    contractBody('createCommunity', {
      name: 'Bench CS history',
      type: 'official',
      csMode: 'hybrid',
    }),
  );
  const conversationIds: Record<string, string> = {};
  for (const [index, size] of CS_SIZES.entries()) {
    const [conversation] = await knex('conversations')
      .insert({
        communityId: history.id,
        customerId: knex('bench_customers')
          .select('id')
          .where('n', index + 1),
        status: 'human_active',
      })
      .returning('id');
    const id = (conversation as { id: string }).id;
    for (let from = 1; from <= size; from += BATCH) {
      await knex.raw(
        `insert into conversation_messages (conversation_id, sender_kind, sender_id, content, created_at)
        select ?, case when i % 2 = 0 then 'customer' else 'ai' end, case when i % 2 = 0 then (select customer_id from conversations where id = ?) end,
          'Seeded message ' || i, now() - interval '1 day' + make_interval(secs => i / 1000.0)
        from generate_series(?::int, ?::int) as i`,
        [id, id, from, Math.min(size, from + BATCH - 1)],
      );
    }
    await knex('conversations')
      .where('id', id)
      .update({
        lastMessageAt: knex.raw('(select max(created_at) from conversation_messages where conversation_id = ?)', [id]),
      });
    conversationIds[String(size)] = id;
  }
  await knex.raw('drop table bench_customers');
  await knex.raw('vacuum analyze conversations, conversation_messages, users');

  // The middle of the largest queue, as a cursor: the position of its (size / 2)th entry.
  const priority = queuePrioritySql('c.status');
  const middle = (
    await knex('conversations as c')
      .where('c.communityId', queueCommunityIds[String(largest)]!)
      .select('c.id', 'c.status', knex.raw(`${waitingSinceSql('c.updated_at')} as waiting_since`))
      .orderByRaw(`${priority}, c.updated_at asc, c.id asc`)
      .offset(largest / 2 - 1)
      .limit(1)
  )[0] as { id: string; status: ConversationStatus; waitingSince: string };
  const middleCursor = {
    size: largest,
    cursor: encodeQueueCursor(undefined, {
      priority: QUEUE_PRIORITY[middle.status],
      waitingSince: middle.waitingSince,
      id: middle.id,
    }),
  };

  const plans: PlanSample[] = [];
  for (const size of CS_SIZES) {
    const queuePage = (after?: { priority: number; waitingSince: string; id: string }) => {
      const query = knex('conversations as c')
        .join('users as u', 'u.id', 'c.customerId')
        .where('c.communityId', queueCommunityIds[String(size)]!)
        .select(
          'c.id',
          'c.status',
          'c.assignedCsId',
          'u.name',
          'u.image',
          'c.createdAt',
          'c.updatedAt',
          knex.raw(`${waitingSinceSql('c.updated_at')} as waiting_since`),
        )
        .orderByRaw(`${priority}, c.updated_at asc, c.id asc`)
        .limit(PAGE + 1);
      if (after)
        query.whereRaw(`(${priority}, c.updated_at, c.id) > (?::int, ?::timestamptz, ?::uuid)`, [
          after.priority,
          after.waitingSince,
          after.id,
        ]);
      return query;
    };
    plans.push({ label: 'queue', size, ...(await explain(knex, queuePage())) });
    if (size === largest)
      plans.push({
        label: 'queue (cursor)',
        size,
        ...(await explain(
          knex,
          queuePage({ priority: QUEUE_PRIORITY[middle.status], waitingSince: middle.waitingSince, id: middle.id }),
        )),
      });
    plans.push({
      label: 'messages',
      size,
      ...(await explain(
        knex,
        knex('conversation_messages')
          .where('conversationId', conversationIds[String(size)]!)
          .orderBy('createdAt', 'desc')
          .limit(PAGE + 1),
      )),
    });
  }
  return {
    queueCommunityIds,
    middleCursor,
    historyCommunityId: history.id,
    conversationIds,
    plans,
    csMs: Math.round(performance.now() - started),
  };
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

/** EXPLAIN (ANALYZE, BUFFERS) of a query, after one warm-up run: its node types and what it cost. */
async function explain(knex: Knex, query: Knex.QueryBuilder): Promise<Omit<PlanSample, 'label' | 'size'>> {
  const { sql, bindings } = query.toSQL();
  await knex.raw(sql, bindings as never);
  const result = await knex.raw(`explain (analyze, buffers, format json) ${sql}`, bindings as never);
  const { Plan, 'Execution Time': executionMs } = (
    result as { rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }> }
  ).rows[0]!['QUERY PLAN'][0]!;
  const nodes: string[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node['Index Name'] ? `${node['Node Type']} (${node['Index Name']})` : node['Node Type']);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(Plan);
  return {
    plan: nodes.join(' > '),
    executionMs,
    buffers: (Plan['Shared Hit Blocks'] ?? 0) + (Plan['Shared Read Blocks'] ?? 0),
  };
}

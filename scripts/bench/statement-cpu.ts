// `tsx scripts/bench/statement-cpu.ts --schema NAME [--seconds 3] [--connections 4] [--url URL]`: what each
// rendered page statement costs PostgreSQL, with no server in between. On a data set a bench run kept
// (`npm run bench -- --db postgres --keep --schema NAME --only list,messages,cs-queue,cs-messages,room-timeline`),
// it finds the largest community history, conversation, CS queue and room, then runs each page's statement
// (the areas' own `...Query()`, as the limit server sends it) on several connections at once for a few seconds.
// It prints the local PostgreSQL server's CPU per run (the connections' backends, from /proc) and how the
// statement was planned (pg_prepared_statements: generic, or custom per run). This is the number to judge a
// statement change by: one connection's wall time hides the planning and the contention that several show.
// Drop the schema afterwards.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { communityMessagePageQuery } from '../../src/communities/queries.js';
import { conversationMessagePageQuery } from '../../src/conversations/queries.js';
import { csQueuePageQuery } from '../../src/official/queries.js';
import type { BoundStatement } from '../../src/platform/rendered.js';
import { eventPageQuery, timelinePageQuery } from '../../src/rooms/queries.js';
import { spaceListQuery } from '../../src/spaces/queries.js';
import { postgresTicks, TICKS_PER_SECOND } from './cpu-times.js';

const { values: opts } = parseArgs({
  options: {
    schema: { type: 'string', default: 'bench' },
    seconds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '4' },
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    search: { type: 'string', default: 'nebula' },
  },
});
const AUDIO = 'http://127.0.0.1/api/media/';

const connect = async () => {
  const client = new pg.Client({ connectionString: opts.url, options: `-c search_path=${opts.schema}` });
  await client.connect();
  return client;
};

type Page = [label: string, statement: BoundStatement];

/**
 * The pages that need ids from the data set: a lookup of the row to read (`target`) and who reads it (`reader`),
 * and the pages read with them. A lookup that finds nothing (its bench row was not seeded) is skipped.
 */
const LOOKUPS: Array<{ sql: string; pages: (target: string, reader: string) => Page[] }> = [
  {
    sql: `select category as target, '' as reader from spaces group by 1 order by count(*) desc limit 1`,
    pages: (category) => [['spaces by category, page 1', spaceListQuery({ page: 1, limit: 20, category })]],
  },
  {
    sql: `select m.community_id as target, m.user_id as reader from community_members m where m.community_id = (
      select community_id from community_messages group by 1 order by count(*) desc limit 1) limit 1`,
    pages: (id, reader) => [['community message page', communityMessagePageQuery(id, reader, { limit: 50 }, AUDIO)]],
  },
  {
    sql: `select v.id as target, c.creator_id as reader from conversations v join communities c
      on c.id = v.community_id
    where v.id = (select conversation_id from conversation_messages group by 1 order by count(*) desc limit 1)`,
    pages: (id, reader) => [['conversation messages', conversationMessagePageQuery(id, reader, { limit: 50 }, AUDIO)]],
  },
  {
    sql: `select c.id as target, c.creator_id as reader from communities c
    where c.id = (select community_id from conversations group by 1 order by count(*) desc limit 1)`,
    pages: (id, reader) => [['CS queue', csQueuePageQuery(id, reader, { limit: 50 })]],
  },
  {
    sql: `select p.room_id as target, p.membership_id as reader from room_participants p
    where p.participant_kind = 'human' and p.left_at is null
      and p.room_id = (select room_id from room_events group by 1 order by count(*) desc limit 1)
    limit 1`,
    pages: (id, reader) => [
      ['room timeline', timelinePageQuery(id, reader, { limit: 50 })],
      ['room event page', eventPageQuery(id, reader, { limit: 50 })],
    ],
  },
];

/** Each page's statement and values on this data set, those whose data it holds. */
async function pages(client: pg.Client): Promise<Page[]> {
  const found: Page[] = [
    ['spaces list, page 1', spaceListQuery({ page: 1, limit: 20 })],
    ['spaces list, page 2', spaceListQuery({ page: 2, limit: 20 })],
    ['spaces search, page 1', spaceListQuery({ page: 1, limit: 20, search: opts.search })],
  ];
  for (const { sql, pages } of LOOKUPS) {
    const row = (await client.query(sql)).rows[0] as { target: string | null; reader: string } | undefined;
    if (row?.target) found.push(...pages(row.target, row.reader));
  }
  return found;
}

const clients = await Promise.all(Array.from({ length: Number(opts.connections) }, connect));
const pids = await Promise.all(
  clients.map(async (c) => (await c.query('select pg_backend_pid() as pid')).rows[0].pid as number),
);
try {
  for (const [label, { sql, values }] of await pages(clients[0]!)) {
    const query = { name: sql.name, text: sql.text, values, rowMode: 'array' as const };
    // Past PostgreSQL's first five custom plans, where it decides between a custom plan per run and the generic one.
    for (const client of clients) for (let run = 0; run < 10; run++) await client.query(query);
    const before = postgresTicks();
    let runs = 0;
    const end = Date.now() + Number(opts.seconds) * 1000;
    await Promise.all(
      clients.map(async (client) => {
        for (; Date.now() < end; runs++) await client.query(query);
      }),
    );
    const after = postgresTicks();
    if (!before || !after) throw new Error('no /proc here: the CPU of PostgreSQL processes cannot be read');
    const ticks = pids.reduce((sum, pid) => sum + (after.get(pid) ?? 0) - (before.get(pid) ?? 0), 0);
    const plans = (
      await clients[0]!.query('select generic_plans, custom_plans from pg_prepared_statements where name = $1', [
        sql.name,
      ])
    ).rows[0] as { generic_plans: string; custom_plans: string };
    const us = Math.round((ticks * 1e6) / TICKS_PER_SECOND / runs);
    console.log(
      `${label.padEnd(28)} ${sql.name.padEnd(36)} ${String(runs).padStart(6)} runs  PostgreSQL ${String(us).padStart(5)} µs/run  plans: ${plans.generic_plans} generic, ${plans.custom_plans} custom`,
    );
  }
} finally {
  await Promise.all(clients.map((c) => c.end()));
}

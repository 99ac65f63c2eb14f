// Which rendered reads should keep their generic plan (src/platform/rendered.ts, `statement`'s `genericPlan`):
// each read's statement run the same way twice, on connections with PostgreSQL's default plan choice and on
// connections with `plan_cache_mode = force_generic_plan`, and the CPU PostgreSQL's processes used per run.
// Run it on the schema a benchmark left (`npm run bench -- --only list,search,get,room-timeline,messages,cs-queue
// --db postgres --keep --schema bench_plans`), on this machine's PostgreSQL, with nothing else loading it:
//   npx tsx scripts/bench/plan-modes.ts --schema bench_plans [--seconds 3] [read ...]
import { parseArgs } from 'node:util';
import pg from 'pg';
import { communityMessagePageQuery } from '../../src/communities/index.js';
import { conversationMessagePageQuery } from '../../src/conversations/index.js';
import { csQueuePageQuery } from '../../src/official/index.js';
import type { BoundStatement } from '../../src/platform/rendered.js';
import { timelinePageQuery } from '../../src/rooms/index.js';
import { SPACE_DETAIL_STATEMENT, spaceListQuery } from '../../src/spaces/index.js';
import { postgresTicks, postgresTicksBetween, TICKS_PER_SECOND } from './cpu-times.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { schema: { type: 'string', default: 'bench_plans' }, seconds: { type: 'string', default: '3' } },
});
const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const searchPath = `${opts.schema},public`;
const CLIENTS = 4;

/** One row of the seeded data, by a query on the bench's schema. */
async function row(sql: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${searchPath}` });
  await client.connect();
  try {
    const { rows } = await client.query(sql);
    if (!rows[0]) throw new Error(`no row in ${opts.schema} for: ${sql} (seed it with the bench's --keep)`);
    return rows[0] as Record<string, string>;
  } finally {
    await client.end();
  }
}

const largestRoomReader = () =>
  row(`select room_id, membership_id from room_participants where participant_kind = 'human' and left_at is null
    and room_id = (select room_id from room_events group by 1 order by count(*) desc limit 1) limit 1`);
const largestMessageCommunity = () =>
  row(`select id, creator_id from communities
    where id = (select community_id from community_messages group by 1 order by count(*) desc limit 1)`);
const largestConversation = () =>
  row(`select v.id, c.creator_id from conversations v join communities c on c.id = v.community_id
    where v.id = (select conversation_id from conversation_messages group by 1 order by count(*) desc limit 1)`);
const largestQueue = () =>
  row(`select id, creator_id from communities
    where id = (select community_id from conversations group by 1 order by count(*) desc limit 1)`);
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const AUDIO = 'http://127.0.0.1/api/media/audio/';

/** Each read's statement and values, as the bench's rows ask for them. */
const READS: Record<string, () => Promise<BoundStatement>> = {
  'spaces list': async () => spaceListQuery({ page: 1, limit: 50 }),
  'spaces list by category': async () => spaceListQuery({ page: 1, limit: 50, category: 'science' }),
  'spaces search': async () => spaceListQuery({ page: 1, limit: 50, search: 'nebula' }),
  'spaces search by category': async () =>
    spaceListQuery({ page: 1, limit: 50, search: 'nebula', category: 'science' }),
  'space detail': async () => {
    const s = await row('select s.id, s.owner_id from spaces s join space_sessions ss on ss.space_id = s.id limit 1');
    return { sql: SPACE_DETAIL_STATEMENT, values: [s.id, s.owner_id] };
  },
  'timeline latest': async () => {
    const r = await largestRoomReader();
    return timelinePageQuery(r.room_id!, r.membership_id!, { limit: 50 });
  },
  'timeline before': async () => {
    const r = await largestRoomReader();
    return timelinePageQuery(r.room_id!, r.membership_id!, { limit: 50, beforeSeq: 500 });
  },
  'timeline after': async () => {
    const r = await largestRoomReader();
    return timelinePageQuery(r.room_id!, r.membership_id!, { limit: 50, afterSeq: 500 });
  },
  'community messages': async () => {
    const c = await largestMessageCommunity();
    return communityMessagePageQuery(c.id!, c.creator_id!, { limit: 50 }, AUDIO);
  },
  'community messages before': async () => {
    const c = await largestMessageCommunity();
    return communityMessagePageQuery(c.id!, c.creator_id!, { limit: 50, before: hourAgo() }, AUDIO);
  },
  'conversation messages': async () => {
    const c = await largestConversation();
    return conversationMessagePageQuery(c.id!, c.creator_id!, { limit: 50 }, AUDIO);
  },
  'conversation messages before': async () => {
    const c = await largestConversation();
    return conversationMessagePageQuery(c.id!, c.creator_id!, { limit: 50, before: hourAgo() }, AUDIO);
  },
  'cs queue': async () => {
    const c = await largestQueue();
    return csQueuePageQuery(c.id!, c.creator_id!, { limit: 50 });
  },
  'cs queue by status': async () => {
    const c = await largestQueue();
    return csQueuePageQuery(c.id!, c.creator_id!, { limit: 50, status: 'waiting_human' });
  },
};

/** Runs per second and PostgreSQL's CPU µs per run, over `seconds`, from CLIENTS connections at once. */
async function measure(read: BoundStatement, generic: boolean) {
  const { sql, values } = read;
  const options = `-c search_path=${searchPath}${generic ? ' -c plan_cache_mode=force_generic_plan' : ''}`;
  const clients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const client = new pg.Client({ connectionString: url, options });
      await client.connect();
      return client;
    }),
  );
  const query = { name: sql.name, text: sql.text, values, rowMode: 'array' as const };
  try {
    // Past PostgreSQL's first five runs, after which it settles on a custom or the generic plan.
    for (const client of clients) for (let i = 0; i < 10; i++) await client.query(query);
    let runs = 0;
    const before = postgresTicks();
    const started = performance.now();
    const until = Date.now() + Number(opts.seconds) * 1000;
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < until) {
          await client.query(query);
          runs++;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const after = postgresTicks();
    if (!before || !after) throw new Error('no /proc here: the CPU of PostgreSQL cannot be read');
    return { perSecond: runs / seconds, cpuUs: (postgresTicksBetween(before, after) * 1e6) / TICKS_PER_SECOND / runs };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

const names = positionals.length ? positionals : Object.keys(READS);
console.log(
  `| Read | Statement | Default plans: runs/s, PostgreSQL µs a run | Generic plans: runs/s, µs a run | Generic / default CPU | Marked generic |`,
);
console.log('| --- | --- | ---: | ---: | ---: | --- |');
for (const name of names) {
  const make = READS[name];
  if (!make) throw new Error(`no read named "${name}"; the reads: ${Object.keys(READS).join(', ')}`);
  const read = await make();
  // Twice each, alternating, so that a busy moment on the shared cores does not land on one mode only.
  const runs = [
    await measure(read, false),
    await measure(read, true),
    await measure(read, false),
    await measure(read, true),
  ];
  const mean = (list: typeof runs, f: (r: (typeof runs)[number]) => number) =>
    list.reduce((n, r) => n + f(r), 0) / list.length;
  const custom = [runs[0]!, runs[2]!];
  const generic = [runs[1]!, runs[3]!];
  const cpu = (list: typeof runs) => mean(list, (r) => r.cpuUs);
  const rate = (list: typeof runs) => mean(list, (r) => r.perSecond);
  console.log(
    `| ${name} | ${read.sql.name} | ${Math.round(rate(custom))}, ${Math.round(cpu(custom))} | ${Math.round(rate(generic))}, ${Math.round(cpu(generic))} | ` +
      `${(cpu(generic) / cpu(custom)).toFixed(2)}x | ${read.sql.genericPlan ? 'yes' : 'no'} |`,
  );
}

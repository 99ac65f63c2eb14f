// Child process: builds the bench database from nothing. On PostgreSQL the bench schema is dropped and
// recreated; on PGlite the (empty) data directory is initialised. Migrations run through the platform's own
// openDatabase. Then: one user signed up through AuthService (its session token authenticates the bench's
// requests), N spaces in one INSERT ... SELECT (the counter trigger runs for every row, as in production),
// and a few live sessions on the space that GET /api/spaces/{id} reads.
//
// With BENCH_SEED_MODE=drop it only drops the bench schema (the end of a PostgreSQL run).
import knexFactory from 'knex';
import { openDatabase } from '../../src/platform/database.js';
import { AuthService } from '../../src/auth/service.js';
import { systemClock } from '../../src/platform/clock.js';
import { benchConfig, report, runChild, targetFromEnv } from './common.js';

/** First words of the seeded names: the search term is one of them, so it matches 1 in FIRST_WORDS.length. */
export const FIRST_WORDS = ['Nebula', 'Quantum', 'Crimson', 'Silent', 'Golden', 'Electric', 'Hidden', 'Frozen', 'Velvet', 'Iron',
  'Lunar', 'Solar', 'Cosmic', 'Emerald', 'Shadow', 'Crystal', 'Thunder', 'Amber', 'Ivory', 'Scarlet',
  'Arctic', 'Desert', 'Ocean', 'Forest', 'Mountain', 'Urban', 'Retro', 'Pixel', 'Neon', 'Jade',
  'Cobalt', 'Copper', 'Marble', 'Opal', 'Onyx', 'Ruby', 'Sapphire', 'Topaz', 'Willow', 'Zephyr'];
const SECOND_WORDS = ['Arena', 'Lab', 'Garden', 'Studio', 'Lounge', 'Workshop', 'Library', 'Harbor', 'Tower', 'Market',
  'Theater', 'Academy', 'Club', 'Den', 'Outpost', 'Plaza', 'Station', 'Temple', 'Village', 'Vault'];
const CATEGORIES = ['gaming', 'education', 'social', 'music', 'art', 'science'];
export const SEARCH_TERM = 'nebula';

const sqlArray = (values: string[]) => `array[${values.map((v) => `'${v}'`).join(', ')}]`;

runChild(async () => {
  const target = targetFromEnv();
  const config = benchConfig(target);

  if (target.kind === 'postgres') {
    const admin = knexFactory({ client: 'pg', connection: target.url, pool: { min: 0, max: 1 } });
    try {
      await admin.raw('drop schema if exists ?? cascade', [target.schema!]);
    } finally {
      await admin.destroy();
    }
    if (process.env.BENCH_SEED_MODE === 'drop') {
      report({ type: 'dropped' });
      return;
    }
  }

  const spaces = Number(process.env.BENCH_SPACES ?? 10_000);
  const started = performance.now();
  const database = await openDatabase(config);
  const migratedMs = performance.now() - started;
  try {
    const { knex } = database;
    const auth = new AuthService(knex, systemClock, { sessionTtlDays: 30, adminEmails: new Set() });
    const signedUp = await auth.signUp({ name: 'Bench User', email: 'bench@example.com', password: 'bench-password-1' });
    const userId = signedUp.user.id;

    // Names like "Nebula Arena 123": the first word cycles through FIRST_WORDS, so searching one of them
    // matches 1/40 (2.5%) of the spaces. Every 7th has no category; every 50th is private. Created one
    // second apart, newest first by i. Inserted in batches of 5,000, each its own transaction: the counter
    // trigger updates the same space_public_counts row for every public row, and within one transaction those
    // row versions cannot be pruned, which makes a single 100k-row INSERT quadratic (~90 s instead of ~10 s).
    const insertStarted = performance.now();
    const BATCH = 5_000;
    for (let from = 1; from <= spaces; from += BATCH) {
      await knex.raw(`
        insert into spaces (owner_id, name, description, category, tags, definition, is_public, created_at, updated_at)
        select ?,
          (${sqlArray(FIRST_WORDS)})[1 + i % ${FIRST_WORDS.length}] || ' ' || (${sqlArray(SECOND_WORDS)})[1 + (i / ${FIRST_WORDS.length}) % ${SECOND_WORDS.length}] || ' ' || i,
          'Seeded space number ' || i || ', for the benchmark.',
          case when i % 7 = 0 then null else (${sqlArray(CATEGORIES)})[1 + i % ${CATEGORIES.length}] end,
          array['bench', 'tag' || (i % 10)],
          jsonb_build_object('seed', i, 'layout', 'grid'),
          i % 50 <> 0,
          now() - make_interval(secs => i),
          now() - make_interval(secs => i)
        from generate_series(?::int, ?::int) as i`, [userId, from, Math.min(spaces, from + BATCH - 1)]);
    }
    const insertMs = performance.now() - insertStarted;

    // The space read by GET /api/spaces/{id}: a public one from the middle, with three sessions (one
    // connected participant each), so the owner and sessions queries both return rows.
    const middle = Math.floor(spaces / 2) | 1; // odd: never a multiple of 50, so public
    const [space] = await knex('spaces').select('id').where('description', `Seeded space number ${middle}, for the benchmark.`);
    if (!space) throw new Error('seeded space not found');
    for (const status of ['waiting', 'active', 'ended']) {
      const [session] = await knex('space_sessions').insert({ spaceId: space.id, createdBy: userId, status }).returning('id');
      await knex('space_participants').insert({ sessionId: session.id, userId, role: 'host', controlMode: 'human', isConnected: status !== 'ended' });
    }
    await knex.raw('vacuum analyze');

    // The list's total two ways, one query at a time: the maintained counter row the platform reads, and the
    // count(*) over every public space it replaces.
    const perQueryMs = async (run: () => Promise<unknown>, times = 20) => {
      await run();
      const mark = performance.now();
      for (let n = 0; n < times; n++) await run();
      return (performance.now() - mark) / times;
    };
    const counterMs = await perQueryMs(() => knex('space_public_counts').select('count').where('category', ''));
    const countStarMs = await perQueryMs(() => knex('spaces').where('isPublic', true).count({ count: '*' }));

    const [counts] = await knex('space_public_counts').select('count').where('category', '');
    const [matches] = await knex('spaces').where('isPublic', true).whereILike('name', `%${SEARCH_TERM}%`).count({ count: '*' });
    report({
      type: 'seeded',
      token: signedUp.token,
      userId,
      spaceId: space.id,
      spaces,
      publicSpaces: Number(counts?.count ?? 0),
      searchTerm: SEARCH_TERM,
      searchMatches: Number(matches?.count ?? 0),
      totalQueryMs: { counter: counterMs, countStar: countStarMs },
      migrateMs: Math.round(migratedMs),
      insertMs: Math.round(insertMs),
      totalMs: Math.round(performance.now() - started),
    });
  } finally {
    await database.close();
  }
});

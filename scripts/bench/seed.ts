// Child process: builds the bench database from nothing. On PostgreSQL the bench schema is dropped and
// recreated; on PGlite the (empty) data directory is initialised. Migrations run through the platform's own
// openDatabase, and what the benchmark authenticates with or reads by id is made by the real services
// (createServices): the users (AuthService.signUp: the owner's session token authenticates the bench's
// requests), the space GET /api/spaces/{id} reads and its sessions (SpacesService create, createSession,
// join, leave). The N spaces the list and search page through are a plain INSERT ... SELECT instead:
// SpacesService.create one row at a time takes ~1.3 ms a row here (13 s for 10,000, over 2 minutes for
// 100,000) against ~1 s for the bulk insert, and the counter trigger runs for every row either way.
//
// With BENCH_SEED_MODE=drop it only drops the bench schema (the end of a PostgreSQL run).
import knexFactory from 'knex';
import { openDatabase } from '../../src/platform/database.js';
import { systemClock } from '../../src/platform/clock.js';
import { parseRendered } from '../../src/platform/rendered.js';
import { createServices } from '../../src/services.js';
import { benchConfig, report, runChild, targetFromEnv } from './common.js';
import { seedCommunities } from './seed-communities.js';
import { seedRooms } from './seed-rooms.js';
import { seedCs } from './seed-cs.js';
import { contractBody } from '../../src/platform/contract-body.js';

/** First words of the seeded names: the search term is one of them, so it matches 1 in FIRST_WORDS.length. */
const FIRST_WORDS = [
  'Nebula',
  'Quantum',
  'Crimson',
  'Silent',
  'Golden',
  'Electric',
  'Hidden',
  'Frozen',
  'Velvet',
  'Iron',
  'Lunar',
  'Solar',
  'Cosmic',
  'Emerald',
  'Shadow',
  'Crystal',
  'Thunder',
  'Amber',
  'Ivory',
  'Scarlet',
  'Arctic',
  'Desert',
  'Ocean',
  'Forest',
  'Mountain',
  'Urban',
  'Retro',
  'Pixel',
  'Neon',
  'Jade',
  'Cobalt',
  'Copper',
  'Marble',
  'Opal',
  'Onyx',
  'Ruby',
  'Sapphire',
  'Topaz',
  'Willow',
  'Zephyr',
];
const SECOND_WORDS = [
  'Arena',
  'Lab',
  'Garden',
  'Studio',
  'Lounge',
  'Workshop',
  'Library',
  'Harbor',
  'Tower',
  'Market',
  'Theater',
  'Academy',
  'Club',
  'Den',
  'Outpost',
  'Plaza',
  'Station',
  'Temple',
  'Village',
  'Vault',
];
const CATEGORIES = ['gaming', 'education', 'social', 'music', 'art', 'science'];
const SEARCH_TERM = 'nebula';

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
  try {
    const { knex } = database;
    const services = createServices(database, config, systemClock);
    const signUp = async (name: string, email: string) => {
      const { token } = await services.auth.signUp({ name, email, password: 'bench-password-1' });
      return { token, principal: (await services.auth.authenticate({ scheme: 'bearerAuth', token }))! };
    };
    const [owner, guest] = await Promise.all([
      signUp('Bench User', 'bench@example.com'),
      signUp('Bench Guest', 'guest@example.com'),
    ]);

    // Names like "Nebula Arena 123": the first word cycles through FIRST_WORDS, so searching one of them
    // matches 1/40 (2.5%) of the spaces. Every 7th has no category; every 50th is private. Created one
    // second apart, newest first by i. Inserted in batches of 5,000, each its own transaction: the counter
    // trigger updates the same space_public_counts row for every public row, and within one transaction those
    // row versions cannot be pruned, which makes a single 100k-row INSERT quadratic (~90 s instead of ~10 s).
    // N - 1 of them: the Nth is the one made through the service below.
    const BATCH = 5_000;
    for (let from = 1; from < spaces; from += BATCH) {
      await knex.raw(
        `
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
        from generate_series(?::int, ?::int) as i`,
        [owner.principal.user.id, from, Math.min(spaces - 1, from + BATCH - 1)],
      );
    }

    // The space GET /api/spaces/{id} reads, with a session in each state so that the owner and sessions
    // queries both return rows: waiting (its host), active (a guest joined) and ended (the host left).
    const space = parseRendered(
      await services.spaces.create(
        owner.principal,
        contractBody('createSpace', {
          name: 'Bench detail space',
          description: 'The space GET /api/spaces/{id} reads.',
          category: 'social',
          tags: ['bench'],
          definition: { layout: 'grid' },
        }),
      ),
    );
    const sessions = [];
    for (let n = 0; n < 3; n++) sessions.push(await services.spaces.createSession(owner.principal, space.id));
    await services.spaces.join(guest.principal, space.id, sessions[1]!.id);
    await services.spaces.leave(owner.principal, space.id, sessions[2]!.id);
    // The communities rows (BENCH_COMMUNITIES=users,messages): see seed-communities.ts.
    const communityCounts = process.env.BENCH_COMMUNITIES?.split(',').map(Number);
    const communities = communityCounts
      ? await seedCommunities(knex, services, owner.principal, guest, {
          users: communityCounts[0]!,
          messages: communityCounts[1]!,
        })
      : undefined;
    // The customer-service rows (BENCH_CS=1): see seed-cs.ts.
    const cs = process.env.BENCH_CS ? await seedCs(knex, services, owner.principal) : undefined;
    // The Rooms rows (BENCH_ROOMS=1): see seed-rooms.ts.
    const rooms = process.env.BENCH_ROOMS ? await seedRooms(knex, services, owner.principal, guest) : undefined;
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

    const [all, matching] = await Promise.all([
      services.spaces.list({ page: 1, limit: 1 }).then(parseRendered),
      services.spaces.list({ search: SEARCH_TERM, page: 1, limit: 1 }).then(parseRendered),
    ]);
    report({
      type: 'seeded',
      token: owner.token,
      spaceId: space.id,
      spaces,
      publicSpaces: all.total,
      searchTerm: SEARCH_TERM,
      searchMatches: matching.total,
      totalQueryMs: { counter: counterMs, countStar: countStarMs },
      totalMs: Math.round(performance.now() - started),
      communities,
      rooms,
      cs,
    });
  } finally {
    await database.close();
  }
});

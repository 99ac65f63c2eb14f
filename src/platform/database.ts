// The database: PostgreSQL through pg when DATABASE_URL is set, otherwise the embedded PGlite in DATA_DIR.
// Both get the same migrations and the same knex (snake_case columns, camelCase in code); nothing above
// this module knows which one it runs on.
import { createRequire } from 'node:module';
import knexFactory, { type Knex } from 'knex';
import { knexSnakeCaseMappers } from 'objection';
import type { Config } from '../config.js';
import type { EventBus } from '../realtime/event-bus.js';
import { PgliteEventBus } from '../realtime/pglite-event-bus.js';
import { PostgresEventBus } from '../realtime/postgres-event-bus.js';
import { lockDataDir } from './lock.js';
import { migrate } from './migrate.js';
import { observedClient, type StatementWatchers } from './database-client.js';

/** knex's own PostgreSQL client class (what its `client: 'pg'` names). */
const pgClient = () => createRequire(import.meta.url)('knex/lib/dialects/postgres/index.js') as typeof Knex.Client;

export interface Database {
  knex: Knex;
  kind: 'postgres' | 'pglite';
  /** Told of every statement's kind and duration (src/platform/database-client.ts): the metrics watch here. */
  statements: StatementWatchers;
  /** NOTIFY / LISTEN on this database (the live streams' fan-out); it connects on its first subscription. */
  events: EventBus;
  close(): Promise<void>;
}

type DatabaseConfig = Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir' | 'poolMax'>;

export async function openDatabase(config: DatabaseConfig, options: { migrate?: boolean } = {}): Promise<Database> {
  const database = config.databaseUrl ? openPostgres(config) : await openPglite(config.dataDir);
  try {
    if (config.databaseSchema) await database.knex.raw('create schema if not exists ??', [config.databaseSchema]);
    if (options.migrate !== false) await migrate(database.knex, config.databaseSchema);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openPostgres(config: DatabaseConfig): Database {
  const { Client, watchers } = observedClient(pgClient());
  const knex = knexFactory({
    client: Client,
    connection: config.databaseUrl,
    pool: { min: 0, max: config.poolMax },
    // Extensions (pg_trgm) live in public, so a per-test schema still sees them.
    searchPath: config.databaseSchema ? [config.databaseSchema, 'public'] : undefined,
    ...knexSnakeCaseMappers(),
  });
  const events = new PostgresEventBus(knex, config.databaseUrl!);
  return {
    knex,
    kind: 'postgres',
    statements: watchers,
    events,
    close: async () => {
      await events.close();
      await knex.destroy();
    },
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const release = await lockDataDir(dataDir);
  try {
    // Loaded only when used: the embedded database's modules take ~0.6 s to load.
    const [{ PGlite }, { pg_trgm }, { default: ClientPgLite }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('knex-pglite'),
    ]);
    const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
    const { Client, watchers } = observedClient(ClientPgLite);
    const knex = knexFactory({
      client: Client,
      dialect: 'postgres',
      connection: { pglite } as never,
      ...knexSnakeCaseMappers(),
    });
    const events = new PgliteEventBus(knex, pglite);
    return {
      knex,
      kind: 'pglite',
      statements: watchers,
      events,
      close: async () => {
        await events.close();
        await knex.destroy();
        if (!pglite.closed) await pglite.close();
        await release();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

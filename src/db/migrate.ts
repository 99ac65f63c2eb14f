// Runs the migrations in src/db/migrations, in name (timestamp) order. They are listed here rather than
// discovered on disk so that they load the same way under tsx, vitest and a compiled build.
import type { Knex } from 'knex';
import * as identityAndSpaces from './migrations/20261123120000_identity_and_spaces.js';

const migrations: Record<string, Knex.Migration> = {
  '20261123120000_identity_and_spaces': identityAndSpaces,
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};

export async function migrate(knex: Knex, schemaName?: string): Promise<void> {
  await knex.migrate.latest({ migrationSource: source, schemaName });
}

// Runs every area's migrations: the files in src/<area>/migrations/ (and src/platform/migrations/), found on
// disk, in the order of their names' timestamps across all areas. A migration is `<yyyymmddhhmmss>_<what>.ts`
// exporting `up` and `down`; adding one is adding the file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

const SRC = join(import.meta.dirname, '..');
const MIGRATION_FILE = /^(\d{14}_[a-z0-9_]+)\.(ts|js)$/;

/** Migration name -> file, across the areas of src/. */
export function discoverMigrations(src = SRC): Map<string, string> {
  const found = new Map<string, string>();
  for (const area of readdirSync(src, { withFileTypes: true })) {
    if (!area.isDirectory()) continue;
    const dir = join(src, area.name, 'migrations');
    let files: string[];
    try {
      files = readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of files) {
      const name = MIGRATION_FILE.exec(file)?.[1];
      if (!name) continue;
      if (found.has(name))
        throw new Error(`Two migrations are named ${name}: ${found.get(name)} and ${join(dir, file)}`);
      found.set(name, join(dir, file));
    }
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

function migrationSource(): Knex.MigrationSource<string> {
  const files = discoverMigrations();
  return {
    getMigrations: async () => [...files.keys()],
    getMigrationName: (name) => name,
    getMigration: async (name) => (await import(pathToFileURL(files.get(name)!).href)) as Knex.Migration,
  };
}

/**
 * Names of migrations that were split into per-area files: a database migrated before the split has the old
 * name recorded, and gets the new names instead (their tables are already there).
 */
const SPLIT: Record<string, string[]> = {
  '20261123120000_identity_and_spaces': [
    '20261123120000_identity',
    '20261123120001_agent_listings',
    '20261123120002_spaces',
  ],
};

async function renameSplitMigrations(knex: Knex, schemaName?: string): Promise<void> {
  const table = schemaName ? `${schemaName}.knex_migrations` : 'knex_migrations';
  const exists = await knex.schema
    .withSchema(schemaName ?? 'public')
    .hasTable('knex_migrations')
    .catch(() => false);
  if (!exists) return;
  for (const [old, names] of Object.entries(SPLIT)) {
    const row = await knex(table).where('name', old).first<{ batch: number; migrationTime: Date } | undefined>();
    if (!row) continue;
    await knex.transaction(async (trx) => {
      await trx(table).where('name', old).delete();
      await trx(table).insert(names.map((name) => ({ name, batch: row.batch, migrationTime: row.migrationTime })));
    });
  }
}

export async function migrate(knex: Knex, schemaName?: string): Promise<void> {
  const source = migrationSource();
  await renameSplitMigrations(knex, schemaName);
  await knex.migrate.latest({ migrationSource: source, schemaName });
}

/** Undoes every migration, newest first (tests prove each `down` step). */
export async function rollbackAll(knex: Knex, schemaName?: string): Promise<void> {
  const source = migrationSource();
  await knex.migrate.rollback({ migrationSource: source, schemaName }, true);
}

let known: string[] | undefined;

/**
 * The migrations this code knows that the database has not applied (readiness: a database restored from an
 * older backup, or one another process has not migrated yet). Migrations the database has and this code does
 * not know (a newer version ran them, during a rolling deploy) are not counted: the schema only grew.
 */
export async function pendingMigrations(
  knex: Knex,
  schemaName?: string,
): Promise<{ known: number; pending: string[] }> {
  known ??= [...discoverMigrations().keys()];
  const table = schemaName ? `${schemaName}.knex_migrations` : 'knex_migrations';
  const applied = new Set((await knex(table).select<{ name: string }[]>('name')).map((row) => row.name));
  for (const [old, names] of Object.entries(SPLIT)) if (applied.has(old)) for (const n of names) applied.add(n);
  return { known: known.length, pending: known.filter((name) => !applied.has(name)) };
}

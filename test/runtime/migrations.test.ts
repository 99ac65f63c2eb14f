// Migrations are discovered from every area's migrations/ folder, run in timestamp order, and each can be
// undone (its `down`), on PGlite and on PostgreSQL.
import { describe, expect, it } from 'vitest';
import { areas } from '../../generated/server/index.js';
import { discoverMigrations, migrate, rollbackAll } from '../../src/platform/migrate.js';
import { freshDatabase } from '../helpers/database.js';

describe('migrations', () => {
  const found = discoverMigrations();

  it('are found in src/<area>/migrations (and src/platform/migrations), named <timestamp>_<what>, in order', () => {
    expect(found.size).toBeGreaterThan(0);
    const names = [...found.keys()];
    expect(names).toEqual([...names].sort());
    for (const [name, file] of found) {
      expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      const folder = file.split(/[\\/]/).at(-3)!;
      expect([...areas, 'platform'], file).toContain(folder);
    }
  });

  it('each export up and down', async () => {
    for (const file of found.values()) {
      const module = await import(file);
      expect(typeof module.up, file).toBe('function');
      expect(typeof module.down, file).toBe('function');
    }
  });

  it('roll all the way back and forward again on a migrated database', async () => {
    const db = await freshDatabase();
    const schema = db.settings.databaseSchema;
    try {
      const tables = async () =>
        (
          await db.database.knex.raw(
            `select count(*)::int as n from information_schema.tables where table_schema = current_schema() and table_name not like 'knex_%'`,
          )
        ).rows[0].n as number;
      const migrated = await tables();
      expect(migrated).toBeGreaterThan(5);
      await rollbackAll(db.database.knex, schema);
      expect(await tables()).toBe(0);
      await migrate(db.database.knex, schema);
      expect(await tables()).toBe(migrated);
    } finally {
      await db.drop();
    }
  });

  it('take over a database migrated before the per-area split, which recorded one combined migration', async () => {
    const db = await freshDatabase();
    const schema = db.settings.databaseSchema;
    const table = () => db.database.knex(schema ? `${schema}.knex_migrations` : 'knex_migrations');
    try {
      const split = ['20261123120000_identity', '20261123120001_agent_listings', '20261123120002_spaces'];
      await table().whereIn('name', split).delete();
      await table().insert({ name: '20261123120000_identity_and_spaces', batch: 1, migrationTime: new Date() });
      await migrate(db.database.knex, schema);
      const names = (await table().select('name')).map((r: { name: string }) => r.name);
      expect(names).toEqual(expect.arrayContaining(split));
      expect(names).not.toContain('20261123120000_identity_and_spaces');
    } finally {
      await db.drop();
    }
  });
});

// A database of the calling test file's own, copied from the run's migrated template
// (test/helpers/template-database.ts): a PGlite data directory, or a database on the PostgreSQL server when
// DATABASE_URL is set (CI runs the suite both ways).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/platform/database.js';
import { copyPostgresTemplate, TEST_SCHEMA } from './template-database.js';

/**
 * Settings for a fresh database, and its cleanup, which runs after the app is closed: on PostgreSQL it drops
 * the database over a connection of its own, ending what the app still had running (a detached agent reply).
 */
export async function databaseSettings(): Promise<{ settings: Partial<Config>; cleanup: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    const copy = await copyPostgresTemplate(process.env.DATABASE_URL, inject('postgresTemplate'));
    return { settings: { databaseUrl: copy.url, databaseSchema: TEST_SCHEMA, poolMax: 10 }, cleanup: copy.drop };
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'platform-db-')), 'data');
  cpSync(inject('pgliteTemplate'), dir, { recursive: true });
  return {
    settings: { dataDir: dir },
    cleanup: async () => {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    },
  };
}

/** A migrated database for one test file; `drop()` removes it. */
export async function freshDatabase(): Promise<{
  database: Database;
  settings: Partial<Config>;
  drop(): Promise<void>;
}> {
  const { settings, cleanup } = await databaseSettings();
  const database = await openDatabase({ poolMax: 10, dataDir: '', ...settings });
  return {
    database,
    settings,
    drop: async () => {
      await database.close();
      await cleanup();
    },
  };
}

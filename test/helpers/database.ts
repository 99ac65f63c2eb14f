// A database of the calling test file's own: a copy of the migrated PGlite template, or a new schema on the
// PostgreSQL server when DATABASE_URL is set (CI runs the suite both ways).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { inject } from 'vitest';
import type { Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/platform/database.js';

/**
 * Settings for a fresh database, and its cleanup, which runs after the app is closed: on PostgreSQL it drops
 * the schema over a connection of its own, so nothing the app still had running (a detached agent reply)
 * can hold locks the drop needs.
 */
export function databaseSettings(): { settings: Partial<Config>; cleanup: () => Promise<void> } {
  if (process.env.DATABASE_URL) {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    return {
      settings: { databaseUrl: process.env.DATABASE_URL, databaseSchema: schema, poolMax: 10 },
      cleanup: async () => {
        const admin = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL, pool: { min: 0, max: 1 } });
        try {
          await admin.raw('drop schema if exists ?? cascade', [schema]);
        } finally {
          await admin.destroy();
        }
      },
    };
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'platform-db-')), 'data');
  cpSync(inject('pgliteTemplate'), dir, { recursive: true });
  return { settings: { dataDir: dir }, cleanup: async () => { rmSync(join(dir, '..'), { recursive: true, force: true }); } };
}

/** A migrated database for one test file; `drop()` removes it. */
export async function freshDatabase(): Promise<{ database: Database; settings: Partial<Config>; drop(): Promise<void> }> {
  const { settings, cleanup } = databaseSettings();
  const database = await openDatabase({ poolMax: 10, dataDir: '', ...settings });
  return { database, settings, drop: async () => { await database.close(); await cleanup(); } };
}

// The test suite's own databases on a PostgreSQL server: each test file drops its copy of the template when it
// ends, and the next run drops the ones a killed run left behind (named with the second they were made).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { dropLeftBehindDatabases } from '../helpers/template-database.js';

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('test databases left behind', () => {
  it('drops those made more than a day ago and keeps the others', async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const dayAndAMinuteAgo = (Math.floor(Date.now() / 1000) - 24 * 3600 - 60).toString(36);
    const old = `platform_test_${dayAndAMinuteAgo}_0123456789ab`;
    const recent = `platform_test_${(Math.floor(Date.now() / 1000) - 60).toString(36)}_0123456789ab`;
    const unlike = 'platform_test_kept'; // not a name the tests make: never touched
    try {
      for (const name of [old, recent, unlike]) await admin.query(`create database "${name}"`);
      expect(await dropLeftBehindDatabases(url!)).toEqual([old]);
      const { rows } = await admin.query<{ datname: string }>(
        'select datname from pg_database where datname = any($1)',
        [[old, recent, unlike]],
      );
      expect(rows.map((r) => r.datname).sort()).toEqual([recent, unlike].sort());
    } finally {
      for (const name of [old, recent, unlike]) await admin.query(`drop database if exists "${name}"`);
      await admin.end();
    }
  });
});

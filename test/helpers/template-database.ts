// The migrated template database every test file copies, built once and kept between runs until the
// migrations change: on PGlite a data directory in node_modules/.cache, on PostgreSQL a template database on
// the DATABASE_URL server. Its name carries a hash of what decides its contents (every migration file, the
// runner, the PGlite version), so adding or editing a migration builds a new one on the next run.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { discoverMigrations } from '../../src/platform/migrate.js';

const root = join(import.meta.dirname, '..', '..');
const CACHE = join(root, 'node_modules', '.cache', 'platform-tests');
/** The schema test files use on PostgreSQL (a schema other than public, as DATABASE_SCHEMA allows). */
export const TEST_SCHEMA = 'platform';
/** Building a template removes the others older than this (not younger: a run started before may still copy one). */
const STALE_MS = 60 * 60 * 1000;

/** A hash of everything that decides what the migrations make. */
export function migrationsHash(): string {
  const hash = createHash('sha256');
  const inputs = [
    ...discoverMigrations().values(),
    join(root, 'src', 'platform', 'migrate.ts'),
    join(root, 'src', 'platform', 'sql.ts'),
    join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'),
  ];
  for (const file of inputs) hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 12);
}

/** The migrated PGlite data directory for the current migrations, built if missing. Never opened again: copy it. */
export async function pgliteTemplate(): Promise<string> {
  const name = `pglite-${migrationsHash()}`;
  const dir = join(CACHE, name);
  if (existsSync(dir)) return dir;
  mkdirSync(CACHE, { recursive: true });
  const building = join(CACHE, `${name}.building-${randomBytes(4).toString('hex')}`);
  try {
    const { openDatabase } = await import('../../src/platform/database.js');
    const database = await openDatabase({ dataDir: building, poolMax: 1 });
    await database.close();
    // A run building the same template at the same moment may have renamed its copy first: either will do.
    try {
      renameSync(building, dir);
    } catch (error) {
      if (!existsSync(dir)) throw error;
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
    rmSync(`${building}.lock`, { force: true });
  }
  for (const entry of readdirSync(CACHE)) {
    const path = join(CACHE, entry);
    if (entry !== name && Date.now() - statSync(path).mtimeMs > STALE_MS)
      rmSync(path, { recursive: true, force: true });
  }
  return dir;
}

/** `url` with another database name. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` over one connection of its own to `url`'s database (CREATE and DROP DATABASE refuse a transaction). */
async function withConnection<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * The name of the migrated template database for the current migrations on `url`'s server, built if missing.
 * Concurrent runs (several checkouts on one server) take turns through an advisory lock; a template exists
 * only complete (built under another name, then renamed), and accepts no connections, so copying it never
 * fails because someone is connected to it.
 */
export async function postgresTemplate(url: string): Promise<string> {
  const name = `platform_template_${migrationsHash()}`;
  try {
    await withConnection(url, async (admin) => {
      await admin.query(`select pg_advisory_lock(hashtext('platform test template'))`);
      if ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount) return;
      const building = `${name}_building`;
      await admin.query(`drop database if exists ${quote(building)} with (force)`);
      await admin.query(`create database ${quote(building)}`);
      const { openDatabase } = await import('../../src/platform/database.js');
      const database = await openDatabase({
        databaseUrl: databaseUrl(url, building),
        databaseSchema: TEST_SCHEMA,
        poolMax: 2,
        dataDir: '',
      });
      await database.close();
      await admin.query(`alter database ${quote(building)} rename to ${quote(name)}`);
      await admin.query(`alter database ${quote(name)} with is_template true allow_connections false`);
    });
  } catch (error) {
    throw new Error(
      `Could not make the tests' template database on ${new URL(url).host} (the tests make a database per file: the role needs CREATEDB): ${(error as Error).message}`,
    );
  }
  return name;
}

/** Test databases are named with the second they were made, so those a killed run left can be told apart. */
const TEST_DATABASE = /^platform_test_([0-9a-z]+)_[0-9a-f]{12}$/;
/** Longer than any run: a test database this old belongs to a run that was killed before it dropped it. */
const LEFT_BEHIND_AFTER_SECONDS = 24 * 3600;

/** Drops the test databases killed runs left behind on `url`'s server (each file drops its own otherwise). */
export async function dropLeftBehindDatabases(url: string): Promise<string[]> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  return withConnection(url, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'platform\\_test\\_%'`,
    );
    const old = rows
      .map((r) => r.datname)
      .filter((name) => {
        const made = TEST_DATABASE.exec(name)?.[1];
        return made !== undefined && nowSeconds - parseInt(made, 36) > LEFT_BEHIND_AFTER_SECONDS;
      });
    for (const name of old) await admin.query(`drop database if exists ${quote(name)} with (force)`);
    return old;
  });
}

/** A new database copied from the template, and how to drop it (after everything connected to it closed). */
export async function copyPostgresTemplate(
  url: string,
  template: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `platform_test_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(6).toString('hex')}`;
  await withConnection(url, (admin) => admin.query(`create database ${quote(name)} template ${quote(template)}`));
  return {
    url: databaseUrl(url, name),
    // WITH (FORCE) ends connections something the app left behind still holds (a detached agent reply).
    drop: async () => {
      await withConnection(url, (admin) => admin.query(`drop database if exists ${quote(name)} with (force)`));
    },
  };
}

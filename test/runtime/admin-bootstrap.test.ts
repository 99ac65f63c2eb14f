// The bootstrap admin (src/auth/admins.ts): at start the server creates each ADMIN_EMAILS account that does not
// exist yet, as an admin with ADMIN_PASSWORD, before it listens; it refuses to start, with one sentence, when it
// has an account to create and no valid password; it never makes an existing account admin, and says so. Safe on
// several instances starting at once, and on every restart (a changed ADMIN_PASSWORD changes nothing).
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformClient, getSession, signIn, signUp, type Client } from '@platform/client';
import { buildApp, type Platform } from '../../src/app.js';
import { AdminAccounts } from '../../src/auth/admins.js';
import { databaseEnv, spawnServer, startChildServer } from '../helpers/child-server.js';
import { databaseSettings, freshDatabase } from '../helpers/database.js';
import { testConfig } from '../helpers/server.js';

type LogLine = { level: number; msg: string; email?: string };
const logLines = (stdout: string): LogLine[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
const CREATED = 'admin account created (ADMIN_EMAILS)';

const sessionOf = async (client: Client, email: string, password: string) => {
  const { data, response } = await signIn({ client, body: { email, password } });
  if (!data) return { status: response?.status };
  return { status: response?.status, isAdmin: (await getSession({ client, auth: data.token })).data!.isAdmin };
};

describe('npm start with ADMIN_EMAILS', () => {
  let env: Record<string, string>;
  let dataDir: string | undefined;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const db = await databaseSettings();
    env = databaseEnv(db.settings);
    dataDir = db.settings.dataDir;
    cleanup = db.cleanup;
  });
  afterAll(async () => {
    await cleanup();
  });

  it('refuses to start when it has an account to create and no ADMIN_PASSWORD: one sentence, exit 1, database released', async () => {
    const server = spawnServer({ ...env, ADMIN_EMAILS: 'root@example.com', ADMIN_PASSWORD: '' });
    expect(await server.exited, server.stdout()).toBe(1);
    expect(server.stderr()).toBe(
      'ADMIN_EMAILS lists root@example.com, which has no account yet: set ADMIN_PASSWORD to the first ' +
        'password of the admin account to create, or remove it from ADMIN_EMAILS.\n',
    );
    expect(server.stdout()).not.toContain('"msg":"listening"');
    if (dataDir) expect(existsSync(`${dataDir}.lock`)).toBe(false);
  }, 120_000);

  it('creates the listed admin before it listens; a sign-up with its email is then an ordinary 409', async () => {
    const server = await startChildServer({
      ...env,
      ADMIN_EMAILS: 'root@example.com',
      ADMIN_PASSWORD: 'root-password-1',
    });
    try {
      const lines = logLines(server.stdout());
      const created = lines.findIndex((l) => l.msg === CREATED && l.email === 'root@example.com');
      expect(created).toBeGreaterThanOrEqual(0);
      expect(created).toBeLessThan(lines.findIndex((l) => l.msg === 'listening'));
      const client = createPlatformClient({ baseUrl: server.baseUrl });
      expect(await sessionOf(client, 'root@example.com', 'root-password-1')).toEqual({ status: 200, isAdmin: true });
      const { error, response } = await signUp({
        client,
        body: { name: 'Mallory', email: 'Root@Example.com', password: 'mallory-password' },
      });
      expect(response?.status).toBe(409);
      expect(error).toMatchObject({ code: 'EMAIL_TAKEN' });
      // Not listed yet: an ordinary account, which the next start will list.
      expect(
        (await signUp({ client, body: { name: 'Vic', email: 'vic@example.com', password: 'vic-password' } })).response
          ?.status,
      ).toBe(201);
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0);
    }
  }, 120_000);

  it('does not make a listed account that already exists an admin, and says how to grant it; needs no ADMIN_PASSWORD when nothing is to be created', async () => {
    const server = await startChildServer({
      ...env,
      ADMIN_EMAILS: 'root@example.com,vic@example.com',
      ADMIN_PASSWORD: '',
    });
    try {
      const lines = logLines(server.stdout());
      expect(lines.filter((l) => l.msg === CREATED)).toEqual([]);
      expect(lines.filter((l) => l.level === 40 && l.email)).toEqual([
        expect.objectContaining({
          email: 'vic@example.com',
          msg:
            'ADMIN_EMAILS lists vic@example.com, which belongs to an account that is not an admin: it was not made one, since whoever ' +
            'signed up first with that email owns it. If that account is yours, grant it admin with: npm run admin -- grant vic@example.com',
        }),
      ]);
      const client = createPlatformClient({ baseUrl: server.baseUrl });
      expect(await sessionOf(client, 'vic@example.com', 'vic-password')).toEqual({ status: 200, isAdmin: false });
      expect(await sessionOf(client, 'root@example.com', 'root-password-1')).toEqual({ status: 200, isAdmin: true });
    } finally {
      expect(await server.kill('SIGTERM')).toBe(0);
    }
  }, 120_000);
});

describe('instances starting together, and restarts', () => {
  const emails = new Set(['boot-1@example.com', 'boot-2@example.com']);
  const lines: LogLine[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    }),
  );
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const admins = async () =>
    db.database
      .knex('users')
      .whereIn('email', [...emails])
      .orderBy('email')
      .select('email', 'isAdmin', 'name');

  it('refuse, naming what to fix, when there is an account to create and no valid password; and create nothing', async () => {
    const refusals: Array<[string[], string | undefined, string]> = [
      [
        ['boot-1@example.com', 'boot-2@example.com'],
        undefined,
        'ADMIN_EMAILS lists boot-1@example.com, boot-2@example.com, which have no account yet: set ADMIN_PASSWORD to the first password of the admin accounts to create, or remove them from ADMIN_EMAILS.',
      ],
      [
        ['boot-1@example.com'],
        'short',
        'ADMIN_PASSWORD must NOT have fewer than 8 characters: choose a password a sign-up would accept.',
      ],
      [
        ['boot-1@example.com', 'boot'],
        'long-enough',
        'ADMIN_EMAILS: "boot" is not an email address a sign-up would accept (must match format "email").',
      ],
    ];
    for (const [listed, password, sentence] of refusals) {
      await expect(new AdminAccounts(db.database.knex).bootstrap(listed, password, log)).rejects.toThrow(
        new Error(sentence),
      );
    }
    expect(await admins()).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('create each listed account once, as an admin', async () => {
    const config = testConfig({ ...db.settings, adminEmails: emails, adminPassword: 'first-password' });
    if (db.database.kind === 'postgres') {
      // Three servers on one PostgreSQL, built at once: each runs the bootstrap against the others.
      const platforms: Platform[] = await Promise.all([1, 2, 3].map(() => buildApp(config, { jobs: false, log })));
      await Promise.all(platforms.map((p) => p.close()));
    } else {
      // The embedded database has one process: its bootstraps race within it (PGlite runs their statements interleaved).
      await Promise.all(
        [1, 2, 3].map(() => new AdminAccounts(db.database.knex).bootstrap(emails, 'first-password', log)),
      );
    }
    expect(await admins()).toEqual([
      { email: 'boot-1@example.com', isAdmin: true, name: 'Admin' },
      { email: 'boot-2@example.com', isAdmin: true, name: 'Admin' },
    ]);
    expect(
      lines
        .filter((l) => l.msg === CREATED)
        .map((l) => l.email)
        .sort(),
    ).toEqual([...emails]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  }, 120_000);

  it('create nothing again on a restart, and a changed ADMIN_PASSWORD changes no password (it is only the first one)', async () => {
    lines.length = 0;
    const platform = await buildApp(
      testConfig({ ...db.settings, adminEmails: emails, adminPassword: 'changed-password' }),
      { database: db.database, jobs: false, log },
    );
    expect(lines.filter((l) => l.msg === CREATED || l.level >= 40)).toEqual([]);
    expect(await admins()).toHaveLength(2);
    expect(
      await platform.services.auth.signIn({ email: 'boot-1@example.com', password: 'first-password' }),
    ).not.toBeNull();
    expect(
      await platform.services.auth.signIn({ email: 'boot-1@example.com', password: 'changed-password' }),
    ).toBeNull();
  }, 60_000);
});

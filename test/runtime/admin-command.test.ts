// `npm run admin -- grant|revoke <email> | list | credit <email> <amount> [reason]` (scripts/admin.ts), run as the operator runs it: a process of its
// own on the server's database. On PostgreSQL it runs beside the live server, whose callers gain or lose admin at
// their next request; the embedded database is refused to it while a server holds it, so there the server is
// stopped around each change and its callers' sessions and keys carry the change across the restart.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiKey,
  createApiKey,
  createPlatformClient,
  creditWallet,
  getSession,
  getWallet,
  listLedgerEntries,
  type Client,
} from '@platform/client';
import { buildApp } from '../../src/app.js';
import { databaseEnv } from '../helpers/child-server.js';
import { databaseSettings } from '../helpers/database.js';
import { ADMIN_EMAIL, servePlatform, testConfig, watchClient } from '../helpers/server.js';
import { newUser, type TestUser } from '../helpers/users.js';

const root = join(import.meta.dirname, '..', '..');

describe('npm run admin', () => {
  let database: Awaited<ReturnType<typeof databaseSettings>> | undefined;
  let env: Record<string, string>;
  const embedded = !process.env.DATABASE_URL;
  const client: Client = createPlatformClient({ baseUrl: 'http://127.0.0.1:1' });
  watchClient(client);
  let stop: (() => Promise<void>) | undefined;
  let bob: TestUser;
  let bobKey: string;

  /** Serves the app on the test's database and points `client` at it. */
  async function serve(): Promise<void> {
    const config = testConfig(database!.settings);
    const served = await servePlatform(await buildApp(config, { jobs: false }), config);
    client.setConfig({ baseUrl: served.baseUrl });
    stop = async () => {
      await served.stop();
      stop = undefined;
    };
  }

  /** Runs the command as `npm run admin -- <args>` does, on the test's database. */
  const admin = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'scripts/admin.ts', ...args],
        {
          cwd: root,
          timeout: 60_000,
          env: { ...process.env, REDIS_URL: '', ...env },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  /** Runs the command beside the live server on PostgreSQL; on the embedded database, with the server stopped. */
  async function operate(...args: string[]) {
    if (!embedded) return admin(...args);
    await stop?.();
    try {
      return await admin(...args);
    } finally {
      await serve();
    }
  }

  const credit = async (as: object) =>
    (
      await creditWallet({
        path: { user_id: bob.user.id },
        body: { amount: 1, reason: 'ops', idempotencyKey: randomUUID() },
        ...as,
      })
    ).response?.status;
  const bearer = () => bob.as;
  const key = () => ({ auth: apiKey(bobKey), client });

  beforeAll(async () => {
    database = await databaseSettings();
    env = databaseEnv(database.settings);
    await serve();
    bob = await newUser('Bob', { client });
    bobKey = (await createApiKey({ body: { name: 'ops' }, ...bob.as })).data!.key;
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await database?.cleanup();
  });

  it.runIf(embedded)(
    'is refused the embedded database while a server holds it, naming why (exit 1)',
    async () => {
      const run = await admin('grant', bob.user.email);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^The data directory .* is in use by another process \(PGlite allows one\)\. /);
    },
    60_000,
  );

  it('grants admin to an existing account: its open session and API key are admins from their next request', async () => {
    expect(await credit(bearer())).toBe(403);
    const run = await operate('grant', bob.user.email);
    expect(run).toEqual({ code: 0, stdout: `${bob.user.email} is now an admin.\n`, stderr: '' });
    expect((await getSession(bearer())).data!.isAdmin).toBe(true);
    expect(await credit(bearer())).toBe(201);
    expect(await credit(key())).toBe(201);
    expect((await operate('grant', bob.user.email.toUpperCase())).stdout).toBe(
      `${bob.user.email.toUpperCase()} was already an admin.\n`,
    );
    const list = await operate('list');
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t').slice(0, 2)),
    ).toEqual(
      [
        [ADMIN_EMAIL, 'Admin'],
        [bob.user.email, 'Bob'],
      ].sort(),
    );
  }, 120_000);

  it("revokes admin: the account's open session and API key lose it at their next request", async () => {
    const run = await operate('revoke', bob.user.email);
    expect(run).toEqual({
      code: 0,
      stdout: `${bob.user.email} is no longer an admin: its sessions and API keys lose admin at their next request.\n`,
      stderr: '',
    });
    expect((await getSession(bearer())).data!.isAdmin).toBe(false);
    const refused = await creditWallet({
      path: { user_id: bob.user.id },
      body: { amount: 1, reason: 'ops', idempotencyKey: randomUUID() },
      ...bearer(),
    });
    expect(refused.response?.status).toBe(403);
    expect(refused.error).toMatchObject({ code: 'ADMIN_REQUIRED' });
    expect(await credit(key())).toBe(403);
    expect((await operate('revoke', bob.user.email)).stdout).toBe(`${bob.user.email} was not an admin.\n`);
  }, 120_000);

  it('changes existing accounts only, says how to use it, and lets the last admin go (the operator can always grant again)', async () => {
    expect(await operate('grant', 'nobody@example.com')).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'No account has the email nobody@example.com: its owner signs up first, or list it in ADMIN_EMAILS (with ADMIN_PASSWORD) to have it created as an admin at the next start.\n',
    });
    expect(await admin('promote', bob.user.email)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'Usage: npm run admin -- grant <email> | revoke <email> | list | credit <email> <amount> [reason]\n',
    });
    expect((await operate('revoke', ADMIN_EMAIL)).stdout).toBe(
      `${ADMIN_EMAIL} is no longer an admin: its sessions and API keys lose admin at their next request.\n` +
        'There are no admins left: grant admin to an account with npm run admin -- grant <email>.\n',
    );
    expect((await operate('list')).stdout).toBe('There are no admins.\n');
  }, 120_000);

  it('credits a wallet without an admin account: one credit ledger entry, the balance its sum; bad amounts and unknown emails are refused', async () => {
    const before = (await getWallet(bearer())).data!.balance;
    const run = await operate('credit', bob.user.email, '12.5', 'Trying things locally');
    expect(run).toEqual({
      code: 0,
      stdout: `${bob.user.email}: credited 12.5 credits ("Trying things locally"); the balance is now ${before + 12.5}.\n`,
      stderr: '',
    });
    expect((await getWallet(bearer())).data!.balance).toBe(before + 12.5);
    const { entries } = (await listLedgerEntries({ query: { limit: 1 }, ...bearer() })).data!;
    expect(entries[0]).toMatchObject({
      amount: 12.5,
      kind: 'credit',
      description: 'Trying things locally',
      balanceAfter: before + 12.5,
    });
    for (const amount of ['0', '0.001', '-5', 'ten', '1000001']) {
      const refused = await admin('credit', bob.user.email, amount);
      expect(refused.code, amount).toBe(1);
      expect(refused.stderr, amount).toMatch(/must be an amount of 0\.01 to 1,000,000 credits/);
    }
    expect((await operate('credit', 'nobody@example.com', '5')).stderr).toMatch(
      /^No account has the email nobody@example.com/,
    );
    expect((await getWallet(bearer())).data!.balance).toBe(before + 12.5);
  }, 120_000);
});

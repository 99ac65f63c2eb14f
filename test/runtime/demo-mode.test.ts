// Demo mode (DEMO=true, src/demo/): the data it loads, once; what its accounts can do; where it is refused.
// The samples that run against it are test/docs/samples-*.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, createPlatformClient, getSession, getWallet, signIn, signUp } from '@platform/client';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { DEMO_CREDITS, DEMO_IDS, DEMO_PASSWORD, DEMO_USERS } from '../../src/demo/fixtures.js';
import { databaseSettings } from '../helpers/database.js';
import { servePlatform, testConfig, watchClient } from '../helpers/server.js';

describe('demo mode', () => {
  let database: Awaited<ReturnType<typeof databaseSettings>> | undefined;
  let settings: Partial<Config>;
  beforeAll(async () => {
    database = await databaseSettings();
    settings = database.settings;
  });
  afterAll(async () => {
    await database?.cleanup();
  });

  /** Rows per table of the database's schema: what a second load would have added to. */
  async function rowCounts(platform: Awaited<ReturnType<typeof buildApp>>): Promise<Record<string, number>> {
    const { knex } = platform.database;
    const tables = (
      await knex.raw<{ rows: Array<{ name: string }> }>(
        "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
      )
    ).rows;
    const counts: Record<string, number> = {};
    for (const { name } of tables)
      counts[name] = Number((await knex(name).count<Array<{ count: string }>>('* as count'))[0]!.count);
    return counts;
  }

  it('loads the demo data once: a restart on the same database changes no row', async () => {
    const config = { ...testConfig(settings), demo: true, adminEmails: new Set<string>() };
    const first = await buildApp(config, { jobs: false });
    const loaded = await rowCounts(first);
    await first.close();
    const second = await buildApp(config, { jobs: false });
    try {
      expect(await rowCounts(second)).toEqual(loaded);
      expect(loaded.users).toBe(Object.keys(DEMO_USERS).length);
      expect(loaded.rooms).toBeGreaterThanOrEqual(2);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('gives every account its documented password, API key and funded wallet; Ada is the admin', async () => {
    const config = { ...testConfig(settings), demo: true, adminEmails: new Set<string>() };
    const served = await servePlatform(await buildApp(config, { jobs: false }), config);
    try {
      const client = createPlatformClient({ baseUrl: served.baseUrl });
      watchClient(client);
      for (const [name, user] of Object.entries(DEMO_USERS)) {
        const signedIn = await signIn({ client, body: { email: user.email, password: DEMO_PASSWORD } });
        expect(signedIn.data?.user.id, name).toBe(user.id);
        const session = await getSession({ client, auth: apiKey(user.apiKey) });
        expect(session.data, name).toMatchObject({
          user: { id: user.id, email: user.email },
          authMethod: 'api_key',
          isAdmin: name === 'ada',
        });
        expect((await getWallet({ client, auth: apiKey(user.apiKey) })).data!.balance, name).toBeGreaterThanOrEqual(
          DEMO_CREDITS - 10,
        );
      }
      // The demo relaxes the sign-up limit (10 an hour by default): a first program run many times is not locked out.
      for (let i = 0; i < 12; i++) {
        expect(
          (await signUp({ client, body: { name: 'Try', email: `try-${i}@example.com`, password: DEMO_PASSWORD } }))
            .response?.status,
        ).toBe(201);
      }
      expect(DEMO_IDS.room).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await served.stop();
    }
  }, 120_000);

  it("refuses a database whose own accounts use the demo's emails, saying what to do", async () => {
    const other = await databaseSettings();
    try {
      const plain = await buildApp({ ...testConfig(other.settings), adminEmails: new Set<string>() }, { jobs: false });
      const served = await servePlatform(plain, testConfig(other.settings));
      await signUp({
        client: createPlatformClient({ baseUrl: served.baseUrl }),
        body: { name: 'Not the demo', email: DEMO_USERS.bob.email, password: 'another-password' },
      });
      await served.stop();
      await expect(
        buildApp({ ...testConfig(other.settings), demo: true, adminEmails: new Set<string>() }, { jobs: false }),
      ).rejects.toThrow(
        `DEMO=true: this database has accounts of its own with the demo's emails (${DEMO_USERS.bob.email})`,
      );
    } finally {
      await other.cleanup();
    }
  }, 120_000);

  it('is off unless DEMO is true, refused in production, and a DEMO that is not a boolean stops the start', () => {
    expect(loadConfig({}).demo).toBe(false);
    expect(loadConfig({ DEMO: 'true' }).demo).toBe(true);
    expect(loadConfig({ DEMO: 'true' }).rateLimits.signUpPerIp).toBeGreaterThan(1000);
    expect(loadConfig({ DEMO: 'true', RATE_LIMIT_SIGN_UP_PER_HOUR: '3' }).rateLimits.signUpPerIp).toBe(3);
    expect(() => loadConfig({ DEMO: 'true', NODE_ENV: 'production' })).toThrow(/refused with NODE_ENV=production/);
    expect(() => loadConfig({ DEMO: 'yes' })).toThrow('DEMO must be true or false, not "yes"');
  });
});

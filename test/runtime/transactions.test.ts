// Transactions cross services: every service write can join its caller's transaction, so a failure in a
// later step of a multi-service write undoes the earlier steps (on PGlite and on PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/platform/principal.js';
import { systemClock } from '../../src/platform/clock.js';
import { createServices, type Services } from '../../src/services.js';
import { freshDatabase } from '../helpers/database.js';
import { testConfig } from '../helpers/server.js';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let services: Services;
let alice: Principal;

beforeAll(async () => {
  db = await freshDatabase();
  services = createServices(db.database, testConfig(db.settings), systemClock);
  const signedUp = await services.auth.signUp({ name: 'Alice', email: 'alice@example.com', password: 'long enough' });
  alice = (await services.auth.authenticate({ scheme: 'bearerAuth', token: signedUp.token }))!;
});
afterAll(async () => { await db?.drop(); });

const count = async (table: string) => Number((await db.database.knex(table).count<{ count: string }[]>({ count: '*' }))[0]!.count);

describe('a write across services', () => {
  it('commits every step together', async () => {
    const before = { spaces: await count('spaces'), keys: await count('api_keys') };
    await db.database.knex.transaction(async (trx) => {
      const space = await services.spaces.create(alice, { name: 'Shared' }, trx);
      await services.spaces.createSession(alice, space.id, trx);
      await services.auth.createApiKey(alice, { name: 'deploy', expiresInDays: 1 }, trx);
    });
    expect(await count('spaces')).toBe(before.spaces + 1);
    expect(await count('space_sessions')).toBe(1);
    expect(await count('api_keys')).toBe(before.keys + 1);
  });

  it('rolls back the earlier steps when a later step fails', async () => {
    const before = { spaces: await count('spaces'), sessions: await count('space_sessions'), keys: await count('api_keys'), users: await count('users') };
    const attempt = db.database.knex.transaction(async (trx) => {
      const space = await services.spaces.create(alice, { name: 'Doomed' }, trx);
      await services.spaces.createSession(alice, space.id, trx);
      await services.auth.createApiKey(alice, { name: 'doomed', expiresInDays: 1 }, trx);
      await services.auth.signUp({ name: 'Again', email: 'alice@example.com', password: 'long enough' }, trx); // EMAIL_TAKEN
    });
    await expect(attempt).rejects.toMatchObject({ code: 'EMAIL_TAKEN' });
    expect({ spaces: await count('spaces'), sessions: await count('space_sessions'), keys: await count('api_keys'), users: await count('users') }).toEqual(before);
  });

  it('rolls back a service\'s own multi-row write when its caller fails afterwards', async () => {
    const before = await count('space_participants');
    const space = await services.spaces.create(alice, { name: 'Sessions' });
    await expect(db.database.knex.transaction(async (trx) => {
      await services.spaces.createSession(alice, space.id, trx); // session + host participant
      throw new Error('a later step failed');
    })).rejects.toThrow('a later step failed');
    expect(await count('space_participants')).toBe(before);
    expect((await services.spaces.listSessions(alice, space.id))).toEqual([]);
  });
});

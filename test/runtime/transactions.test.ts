// Transactions cross services: every service write can join its caller's transaction, so a failure in a
// later step of a multi-service write undoes the earlier steps (on PGlite and on PostgreSQL).
import { describe, expect, it } from 'vitest';
import { useServices } from '../helpers/services.js';
import { contractBody } from '../../src/platform/contract-body.js';
import { parseRendered } from '../../src/platform/rendered.js';

const ctx = useServices();

const count = async (table: string) =>
  Number((await ctx.db.database.knex(table).count<{ count: string }[]>({ count: '*' }))[0]!.count);

describe('a write across services', () => {
  it('commits every step together', async () => {
    const before = { spaces: await count('spaces'), keys: await count('api_keys') };
    await ctx.db.database.knex.transaction(async (trx) => {
      const space = parseRendered(
        await ctx.services.spaces.create(ctx.alice, contractBody('createSpace', { name: 'Shared' }), trx),
      );
      await ctx.services.spaces.createSession(ctx.alice, space.id, trx);
      await ctx.services.auth.createApiKey(ctx.alice, { name: 'deploy', expiresInDays: 1 }, trx);
    });
    expect(await count('spaces')).toBe(before.spaces + 1);
    expect(await count('space_sessions')).toBe(1);
    expect(await count('api_keys')).toBe(before.keys + 1);
  });

  it('rolls back the earlier steps when a later step fails', async () => {
    const before = {
      spaces: await count('spaces'),
      sessions: await count('space_sessions'),
      keys: await count('api_keys'),
      users: await count('users'),
    };
    const attempt = ctx.db.database.knex.transaction(async (trx) => {
      const space = parseRendered(
        await ctx.services.spaces.create(ctx.alice, contractBody('createSpace', { name: 'Doomed' }), trx),
      );
      await ctx.services.spaces.createSession(ctx.alice, space.id, trx);
      await ctx.services.auth.createApiKey(ctx.alice, { name: 'doomed', expiresInDays: 1 }, trx);
      await ctx.services.auth.signUp({ name: 'Again', email: 'alice@example.com', password: 'long enough' }, trx); // EMAIL_TAKEN
    });
    await expect(attempt).rejects.toMatchObject({ code: 'EMAIL_TAKEN' });
    expect({
      spaces: await count('spaces'),
      sessions: await count('space_sessions'),
      keys: await count('api_keys'),
      users: await count('users'),
    }).toEqual(before);
  });

  it("rolls back a service's own multi-row write when its caller fails afterwards", async () => {
    const before = await count('space_participants');
    const space = parseRendered(
      await ctx.services.spaces.create(ctx.alice, contractBody('createSpace', { name: 'Sessions' })),
    );
    await expect(
      ctx.db.database.knex.transaction(async (trx) => {
        await ctx.services.spaces.createSession(ctx.alice, space.id, trx); // session + host participant
        throw new Error('a later step failed');
      }),
    ).rejects.toThrow('a later step failed');
    expect(await count('space_participants')).toBe(before);
    expect((await ctx.services.spaces.listSessions(ctx.alice, space.id, { page: 1, limit: 20 })).sessions).toEqual([]);
  });
});

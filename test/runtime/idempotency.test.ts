// The idempotency facility at the database level (on PGlite and on PostgreSQL): one effect per key under
// concurrent duplicates, replays of the original result, 409 for a reused key, nothing recorded for a failed
// request, keys kept for the retention and then purged.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/platform/clock.js';
import { IdempotencyFacility, requestHash, type IdempotencyScope } from '../../src/platform/idempotency.js';
import * as textBody from '../../src/platform/migrations/20261228120000_idempotency_text_body.js';
import { freshDatabase } from '../helpers/database.js';
import { useServices } from '../helpers/services.js';
import { contractBody } from '../../src/platform/contract-body.js';

const clock = new ManualClock(new Date('2026-12-01T10:00:00Z'));
const DAY = 24 * 3600_000;
const ctx = useServices(clock);

const scope = (key: string, target = 'target-1'): IdempotencyScope => ({
  principalId: ctx.alice.user.id,
  operationId: 'createSpace',
  target,
  key,
});
const spacesNamed = async (name: string) =>
  Number((await ctx.db.database.knex('spaces').where({ name }).count<{ count: string }[]>({ count: '*' }))[0]!.count);

/** The effect under test: creating a space, in the facility's transaction; its answer serialized as the pipeline does. */
const createSpace = (name: string) => async (trx: Parameters<Parameters<IdempotencyFacility['run']>[2]>[0]) => {
  const space = await ctx.services.spaces.create(ctx.alice, contractBody('createSpace', { name }), trx);
  return { status: 201, body: space.json };
};

describe('IdempotencyFacility', () => {
  it('has exactly one effect for 20 concurrent duplicates; the others replay it', async () => {
    const hash = requestHash({ body: { name: 'Concurrent' } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        ctx.services.idempotency.run(scope('k-concurrent'), hash, createSpace('Concurrent')),
      ),
    );
    expect(await spacesNamed('Concurrent')).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const original = results.find((r) => !r.replayed)!;
    for (const r of results)
      expect({ status: r.status, body: r.body }).toEqual({ status: original.status, body: original.body });
  });

  it('replays the stored status and body later, without a second effect', async () => {
    const hash = requestHash({ body: { name: 'Later' } });
    const first = await ctx.services.idempotency.run(scope('k-later'), hash, createSpace('Later'));
    const again = await ctx.services.idempotency.run(scope('k-later'), hash, createSpace('Later'));
    expect(again).toEqual({ ...first, replayed: true });
    expect(await spacesNamed('Later')).toBe(1);
  });

  it('answers 409 IDEMPOTENCY_KEY_REUSED for the same key with another request, and writes nothing', async () => {
    await ctx.services.idempotency.run(
      scope('k-reused'),
      requestHash({ body: { name: 'First' } }),
      createSpace('First'),
    );
    await expect(
      ctx.services.idempotency.run(scope('k-reused'), requestHash({ body: { name: 'Second' } }), createSpace('Second')),
    ).rejects.toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await spacesNamed('Second')).toBe(0);
  });

  it('scopes keys by principal, operation and target: the same key elsewhere is a new request', async () => {
    const hash = requestHash({ body: { name: 'Scoped' } });
    await ctx.services.idempotency.run(scope('k-scoped', 'room-a'), hash, createSpace('Scoped'));
    const other = await ctx.services.idempotency.run(scope('k-scoped', 'room-b'), hash, createSpace('Scoped'));
    const otherOp = await ctx.services.idempotency.run(
      { ...scope('k-scoped', 'room-a'), operationId: 'postRoomMessage' },
      hash,
      createSpace('Scoped'),
    );
    expect([other.replayed, otherOp.replayed]).toEqual([false, false]);
    expect(await spacesNamed('Scoped')).toBe(3);
  });

  it("records nothing when the effect fails: the key can be used again, and the effect's writes are undone", async () => {
    const hash = requestHash({ body: { name: 'Fails once' } });
    await expect(
      ctx.services.idempotency.run(scope('k-fails'), hash, async (trx) => {
        await createSpace('Fails once')(trx);
        throw new Error('effect failed after writing');
      }),
    ).rejects.toThrow('effect failed after writing');
    expect(await spacesNamed('Fails once')).toBe(0);
    const retried = await ctx.services.idempotency.run(scope('k-fails'), hash, createSpace('Fails once'));
    expect(retried.replayed).toBe(false);
    expect(await spacesNamed('Fails once')).toBe(1);
  });

  it('keeps keys for at least 24 hours, then purges them', async () => {
    const hash = requestHash({ body: { name: 'Kept' } });
    await ctx.services.idempotency.run(scope('k-kept'), hash, createSpace('Kept'));
    clock.advance(DAY - 60_000);
    await ctx.services.idempotency.purgeExpired();
    expect((await ctx.services.idempotency.run(scope('k-kept'), hash, createSpace('Kept'))).replayed).toBe(true);
    clock.advance(2 * 60_000);
    expect(await ctx.services.idempotency.purgeExpired()).toBeGreaterThan(0);
    expect((await ctx.services.idempotency.run(scope('k-kept'), hash, createSpace('Kept'))).replayed).toBe(false);
  });

  it("replays the stored text byte for byte (keys in their order, spacing, escapes) and the handler's headers", async () => {
    const hash = requestHash({ body: { name: 'Bytes' } });
    const text = '{"zeta":1,"alpha":"caf\\u00e9 \\/ é","nested":{"b":[1.50,2e0],"a":null},"id":"x"}';
    const effect = async () => ({ status: 201, headers: { Location: '/somewhere' }, body: text });
    const first = await ctx.services.idempotency.run(scope('k-bytes'), hash, effect);
    const again = await ctx.services.idempotency.run(scope('k-bytes'), hash, effect);
    expect(first).toEqual({ status: 201, headers: { Location: '/somewhere' }, body: text, replayed: false });
    expect(again).toEqual({ status: 201, headers: { Location: '/somewhere' }, body: text, replayed: true });
    expect(again.body).toBe(text);
    const bodyless = await ctx.services.idempotency.run(scope('k-bodyless'), hash, async () => ({
      status: 204,
      body: undefined,
    }));
    expect(
      await ctx.services.idempotency.run(scope('k-bodyless'), hash, async () => ({ status: 204, body: undefined })),
    ).toEqual({ ...bodyless, replayed: true });
  });

  it('still replays a key stored before bodies were kept as text: the migration turns its jsonb value into text', async () => {
    const db = await freshDatabase();
    try {
      const knex = db.database.knex;
      await textBody.down(knex);
      const old = scope('k-old-row');
      const hash = requestHash({ body: { name: 'Old row' } });
      await knex('idempotency_keys').insert({
        ...old,
        requestHash: hash,
        status: 201,
        body: JSON.stringify({ name: 'Old row', id: 's-1' }),
        createdAt: clock.now(),
      });
      await textBody.up(knex);
      const facility = new IdempotencyFacility(knex, clock);
      const replayed = await facility.run(old, hash, async () => {
        throw new Error('no second effect');
      });
      expect(replayed).toEqual({ status: 201, body: '{"id": "s-1", "name": "Old row"}', replayed: true });
    } finally {
      await db.drop();
    }
  });

  it('hashes requests by content, whatever the order of their keys', () => {
    expect(requestHash({ a: 1, b: { c: [1, 2], d: null } })).toBe(requestHash({ b: { d: null, c: [1, 2] }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
  });
});

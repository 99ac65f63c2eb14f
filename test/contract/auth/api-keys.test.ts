// Auth: API keys: create (shown once), list, delete (revokes), per-user privacy and the active-key limit.
import { describe, expect, it } from 'vitest';
import { apiKey, createApiKey, createPlatformClient, deleteApiKey, getSession, listApiKeys } from '@platform/client';
import { ManualClock } from '../../../src/platform/clock.js';
import { startTestServer, useTestServer, watchClient } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';

useTestServer();

describe('API keys', () => {
  it('creates a key shown once (201), lists it without the secret (200), deletes it (204), which revokes it', async () => {
    const alice = await newUser('Alice');
    const { data: created, response } = await createApiKey({ body: { name: 'laptop', expiresInDays: 7 }, ...alice.as });
    expect(response?.status).toBe(201);
    expect(created!.key).toMatch(/^pk_[A-Za-z0-9]{40}$/);
    expect(created!.prefix).toBe(created!.key.slice(0, 9));
    expect(Date.parse(created!.expiresAt!) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    expect(Date.parse(created!.expiresAt!) - Date.parse(created!.createdAt)).toBe(7 * 24 * 3600 * 1000); // createdAt plus expiresInDays
    expect(created!.lastUsedAt).toBeNull(); // always, for a new key

    const listed = await listApiKeys(alice.as);
    expect(listed.response?.status).toBe(200);
    expect(listed.data!.apiKeys).toEqual([
      expect.objectContaining({
        id: created!.id,
        name: 'laptop',
        prefix: created!.prefix,
        createdAt: created!.createdAt,
        expiresAt: created!.expiresAt,
        lastUsedAt: null,
      }),
    ]);
    expect(JSON.stringify(listed.data)).not.toContain(created!.key);
    // Using the key sets lastUsedAt (recorded in the background, so read until it shows).
    const before = Date.now();
    expect((await getSession({ auth: apiKey(created!.key) })).response?.status).toBe(200);
    await expect.poll(async () => (await listApiKeys(alice.as)).data!.apiKeys[0]!.lastUsedAt).not.toBeNull();
    const used = Date.parse((await listApiKeys(alice.as)).data!.apiKeys[0]!.lastUsedAt!);
    expect(used).toBeGreaterThanOrEqual(before - 1000);
    expect(used).toBeLessThanOrEqual(Date.now());

    expect((await deleteApiKey({ path: { id: created!.id }, ...alice.as })).response?.status).toBe(204);
    expect((await getSession({ auth: apiKey(created!.key) })).response?.status).toBe(401);
    expect((await listApiKeys(alice.as)).data!.apiKeys).toEqual([]);
  });

  it("keeps keys private: another user's key is 404, an unknown id 404, a bad id 400, no credentials 401", async () => {
    const alice = await newUser('Alice');
    const mallory = await newUser('Mallory');
    const key = (await createApiKey({ body: { name: 'mine' }, ...alice.as })).data!;
    expect(Date.parse(key.expiresAt!) - Date.parse(key.createdAt)).toBe(90 * 24 * 3600 * 1000); // the default: keys always expire
    expect((await deleteApiKey({ path: { id: key.id }, ...mallory.as })).response?.status).toBe(404);
    expect(
      (await deleteApiKey({ path: { id: '00000000-0000-4000-8000-000000000000' }, ...alice.as })).response?.status,
    ).toBe(404);
    const bad = await deleteApiKey({ path: { id: 'not-a-uuid' }, ...alice.as });
    expect(bad.response?.status).toBe(400);
    expect(bad.error).toMatchObject({ errors: [{ in: 'path', field: 'id' }] });
    expect((await deleteApiKey({ path: { id: key.id } })).response?.status).toBe(401);
    expect((await createApiKey({ body: { name: 'x' } })).response?.status).toBe(401);
    expect((await listApiKeys()).response?.status).toBe(401);
    expect((await getSession({ auth: apiKey(key.key) })).response?.status).toBe(200);
  });

  it('validates its input (400 naming the field, 413 for a huge body)', async () => {
    const alice = await newUser('Alice');
    const tooLong = await createApiKey({ body: { name: 'k', expiresInDays: 366 }, ...alice.as });
    expect(tooLong.response?.status).toBe(400);
    expect(tooLong.error).toMatchObject({ errors: [{ field: 'expiresInDays', message: 'must be at most 365' }] });
    expect((await createApiKey({ body: { name: 'k'.repeat(2_000_000) }, ...alice.as })).response?.status).toBe(413);
    expect((await listApiKeys({ ...alice.as, query: { page: 2 } as never })).response?.status).toBe(400);
  });

  it('lists active keys only: an expired key is no longer listed (nor accepted)', async () => {
    const clock = new ManualClock(new Date());
    const server = await startTestServer({}, { clock });
    try {
      const c = createPlatformClient({ baseUrl: server.baseUrl });
      watchClient(c);
      const alice = await newUser('Alice', { client: c });
      const short = (await createApiKey({ body: { name: 'short', expiresInDays: 1 }, ...alice.as })).data!;
      clock.advance(1000);
      const long = (await createApiKey({ body: { name: 'long', expiresInDays: 2 }, ...alice.as })).data!;
      expect((await listApiKeys(alice.as)).data!.apiKeys.map((k) => k.id)).toEqual([long.id, short.id]);
      clock.set(new Date(Date.parse(short.expiresAt!)));
      expect((await listApiKeys(alice.as)).data!.apiKeys.map((k) => k.id)).toEqual([long.id]);
      expect((await getSession({ auth: apiKey(short.key), client: c })).response?.status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('allows 25 active keys, even when 30 are requested at once (409 API_KEY_LIMIT for the rest)', async () => {
    const alice = await newUser('Alice');
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => createApiKey({ body: { name: `k${i}` }, ...alice.as })),
    );
    const statuses = results.map((r) => r.response?.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect(results.find((r) => r.response?.status === 409)!.error).toMatchObject({ code: 'API_KEY_LIMIT' });
    expect((await listApiKeys(alice.as)).data!.apiKeys).toHaveLength(25);
  });
});

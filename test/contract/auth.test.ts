// Auth: sign-up, sign-in, sign-out, session, API keys; the four credential schemes and their precedence.
import { describe, expect, it } from 'vitest';
import {
  apiKey, bearerToken, createApiKey, createPlatformClient, deleteApiKey, getSession, listApiKeys, sessionCookie,
  signIn, signOut, signUp,
} from '@platform/client';
import { startTestServer, useTestServer, watchClient } from '../helpers/server.js';
import { newUser } from '../helpers/users.js';

useTestServer();
const cookieAuth = (name: string, token: string) => ({ headers: { Cookie: `${name}=${token}` } });

describe('signUp', () => {
  it('creates the account, signs it in and sets an HttpOnly session cookie (201)', async () => {
    const { data, response } = await signUp({ body: { name: '  Alice ', email: 'Alice.Sign@Example.COM', password: 'correct horse' } });
    expect(response.status).toBe(201);
    expect(data!.user).toMatchObject({ name: 'Alice', email: 'alice.sign@example.com', image: null });
    expect(Date.parse(data!.expiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    const cookie = response.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^session=${data!.token}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a second account with the same email, whatever its case (409 EMAIL_TAKEN)', async () => {
    await signUp({ body: { name: 'Bob', email: 'bob.dup@example.com', password: 'password one' } });
    const { error, response } = await signUp({ body: { name: 'Bob 2', email: 'BOB.DUP@example.com', password: 'password two' } });
    expect(response.status).toBe(409);
    expect(error).toMatchObject({ code: 'EMAIL_TAKEN' });
  });

  it('names each invalid field (400) and creates nothing', async () => {
    const { error, response } = await signUp({ body: { name: '', email: 'not-an-email', password: 'short' } });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const fields = [...new Set((error as { errors: Array<{ field: string }> }).errors.map((e) => e.field))].sort();
    expect(fields).toEqual(['email', 'name', 'password']);
    // One bad field is enough to write nothing: the same email is still free afterwards.
    expect((await signUp({ body: { name: 'Carol', email: 'carol.once@example.com', password: 'short' } })).response.status).toBe(400);
    expect((await signUp({ body: { name: 'Carol', email: 'carol.once@example.com', password: 'long enough' } })).response.status).toBe(201);
  });

  it('rejects a body over 1 MB (413)', async () => {
    const { error, response } = await signUp({ body: { name: 'x'.repeat(1_100_000), email: 'big@example.com', password: 'long enough' } });
    expect(response.status).toBe(413);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('rejects a body that is not JSON (400 INVALID_JSON)', async () => {
    const { error, response } = await signUp({ body: '{"name":' as never, bodySerializer: (b) => b as string });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ code: 'INVALID_JSON' });
  });
});

describe('signIn', () => {
  it('returns a new session for the right password (200)', async () => {
    const alice = await newUser('Alice');
    const { data, response } = await signIn({ body: { email: alice.user.email.toUpperCase(), password: alice.password } });
    expect(response.status).toBe(200);
    expect(data!.user.id).toBe(alice.user.id);
    expect(data!.token).not.toBe(alice.token);
    expect(response.headers.get('set-cookie')).toContain(`session=${data!.token};`);
  });

  it('answers wrong password and unknown email the same way (401 INVALID_CREDENTIALS)', async () => {
    const alice = await newUser('Alice');
    const wrong = await signIn({ body: { email: alice.user.email, password: 'not the password' } });
    const unknown = await signIn({ body: { email: 'nobody@example.com', password: 'not the password' } });
    for (const attempt of [wrong, unknown]) {
      expect(attempt.response.status).toBe(401);
      expect(attempt.error).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: 'The email or password is incorrect.' });
    }
  });

  it('names a missing field (400)', async () => {
    const { error, response } = await signIn({ body: { email: 'a@example.com' } as never });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ errors: [{ in: 'body', field: 'password', message: 'is required' }] });
  });

  it('rejects a body over 1 MB (413)', async () => {
    const { response } = await signIn({ body: { email: 'a@example.com', password: 'x'.repeat(1_100_000) } });
    expect(response.status).toBe(413);
  });
});

describe('credentials', () => {
  it('accepts the session token as Bearer, `session` cookie or `vai_token` cookie, and an API key as X-API-Key', async () => {
    const alice = await newUser('Alice');
    const key = (await createApiKey({ body: { name: 'ci' }, ...alice.as })).data!;
    const ways = [
      [{ auth: bearerToken(alice.token) }, 'session'],
      [cookieAuth('session', alice.token), 'session'],
      [cookieAuth('vai_token', alice.token), 'session'],
      [{ auth: sessionCookie(alice.token) }, 'session'],
      [{ auth: apiKey(key.key) }, 'api_key'],
    ] as const;
    for (const [options, method] of ways) {
      const { data, response } = await getSession(options);
      expect(response.status, JSON.stringify(options)).toBe(200);
      expect(data).toMatchObject({ user: { id: alice.user.id }, authMethod: method, isAdmin: false });
    }
  });

  it('uses the first credential present and never falls back: a bad Bearer beats a good cookie (401)', async () => {
    const alice = await newUser('Alice');
    const { error, response } = await getSession({ auth: bearerToken('not-a-token'), ...cookieAuth('session', alice.token) });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('answers 401 without credentials, and 400 for unknown query parameters', async () => {
    expect((await getSession()).response.status).toBe(401);
    const alice = await newUser('Alice');
    const { error, response } = await getSession({ ...alice.as, query: { verbose: 'true' } as never });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ errors: [{ in: 'query', field: 'verbose' }] });
  });

  it('reports admins from ADMIN_EMAILS', async () => {
    const admin = await newUser('Admin', { email: 'admin@example.com' });
    expect((await getSession(admin.as)).data!.isAdmin).toBe(true);
  });
});

describe('signOut', () => {
  it('revokes the session and clears both cookies (204); the token then fails (401)', async () => {
    const alice = await newUser('Alice');
    const { response } = await signOut(alice.as);
    expect(response.status).toBe(204);
    const cookies = response.headers.getSetCookie();
    expect(cookies).toEqual(expect.arrayContaining([expect.stringMatching(/^session=; .*Max-Age=0/), expect.stringMatching(/^vai_token=; .*Max-Age=0/)]));
    expect((await getSession(alice.as)).response.status).toBe(401);
  });

  it('is idempotent: without credentials or with a dead token it still answers 204', async () => {
    expect((await signOut()).response.status).toBe(204);
    expect((await signOut({ auth: bearerToken('expired-or-unknown') })).response.status).toBe(204);
  });

  it('does not revoke API keys, nor the user\'s other sessions', async () => {
    const alice = await newUser('Alice');
    const key = (await createApiKey({ body: { name: 'deploy' }, ...alice.as })).data!;
    const second = (await signIn({ body: { email: alice.user.email, password: alice.password } })).data!;
    await signOut({ auth: apiKey(key.key) });
    await signOut(alice.as);
    expect((await getSession({ auth: apiKey(key.key) })).response.status).toBe(200);
    expect((await getSession({ auth: bearerToken(second.token) })).response.status).toBe(200);
  });

  it('rejects unknown query parameters (400)', async () => {
    expect((await signOut({ query: { all: 'true' } as never })).response.status).toBe(400);
  });
});

describe('API keys', () => {
  it('creates a key shown once (201), lists it without the secret (200), deletes it (204), which revokes it', async () => {
    const alice = await newUser('Alice');
    const { data: created, response } = await createApiKey({ body: { name: 'laptop', expiresInDays: 7 }, ...alice.as });
    expect(response.status).toBe(201);
    expect(created!.key).toMatch(/^pk_[A-Za-z0-9]{40}$/);
    expect(created!.prefix).toBe(created!.key.slice(0, 9));
    expect(Date.parse(created!.expiresAt!) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);

    const listed = await listApiKeys(alice.as);
    expect(listed.response.status).toBe(200);
    expect(listed.data!.apiKeys).toEqual([expect.objectContaining({ id: created!.id, name: 'laptop', prefix: created!.prefix })]);
    expect(JSON.stringify(listed.data)).not.toContain(created!.key);

    expect((await deleteApiKey({ path: { id: created!.id }, ...alice.as })).response.status).toBe(204);
    expect((await getSession({ auth: apiKey(created!.key) })).response.status).toBe(401);
    expect((await listApiKeys(alice.as)).data!.apiKeys).toEqual([]);
  });

  it('keeps keys private: another user\'s key is 404, an unknown id 404, a bad id 400, no credentials 401', async () => {
    const alice = await newUser('Alice');
    const mallory = await newUser('Mallory');
    const key = (await createApiKey({ body: { name: 'mine' }, ...alice.as })).data!;
    expect((await deleteApiKey({ path: { id: key.id }, ...mallory.as })).response.status).toBe(404);
    expect((await deleteApiKey({ path: { id: '00000000-0000-4000-8000-000000000000' }, ...alice.as })).response.status).toBe(404);
    const bad = await deleteApiKey({ path: { id: 'not-a-uuid' }, ...alice.as });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ errors: [{ in: 'path', field: 'id' }] });
    expect((await deleteApiKey({ path: { id: key.id } })).response.status).toBe(401);
    expect((await createApiKey({ body: { name: 'x' } })).response.status).toBe(401);
    expect((await listApiKeys()).response.status).toBe(401);
    expect((await getSession({ auth: apiKey(key.key) })).response.status).toBe(200);
  });

  it('validates its input (400 naming the field, 413 for a huge body)', async () => {
    const alice = await newUser('Alice');
    const tooLong = await createApiKey({ body: { name: 'k', expiresInDays: 366 }, ...alice.as });
    expect(tooLong.response.status).toBe(400);
    expect(tooLong.error).toMatchObject({ errors: [{ field: 'expiresInDays', message: 'must be at most 365' }] });
    expect((await createApiKey({ body: { name: 'k'.repeat(2_000_000) }, ...alice.as })).response.status).toBe(413);
    expect((await listApiKeys({ ...alice.as, query: { page: 2 } as never })).response.status).toBe(400);
  });

  it('allows 25 active keys, even when 30 are requested at once (409 API_KEY_LIMIT for the rest)', async () => {
    const alice = await newUser('Alice');
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => createApiKey({ body: { name: `k${i}` }, ...alice.as })));
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(25);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect(results.find((r) => r.response.status === 409)!.error).toMatchObject({ code: 'API_KEY_LIMIT' });
    expect((await listApiKeys(alice.as)).data!.apiKeys).toHaveLength(25);
  });
});

describe('cookies behind an https proxy', () => {
  it('are marked Secure when the client reached a trusted proxy over https', async () => {
    const proxied = await startTestServer({ trustProxy: true });
    const c = createPlatformClient({ baseUrl: proxied.baseUrl, headers: { 'X-Forwarded-Proto': 'https' } });
    watchClient(c);
    try {
      const { response } = await signUp({ client: c, body: { name: 'Tess', email: 'tess@example.com', password: 'long enough' } });
      expect(response.status).toBe(201);
      expect(response.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await proxied.stop();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once an IP or an email has used its sign-up and sign-in allowance', async () => {
    const limited = await startTestServer({ rateLimits: { signUpPerIpPerHour: 2, signInPerIpPer15Min: 1000, signInFailuresPerEmailPer15Min: 3 } });
    const c = createPlatformClient({ baseUrl: limited.baseUrl });
    watchClient(c);
    try {
      const ok = await signUp({ client: c, body: { name: 'A', email: 'rl1@example.com', password: 'password 1' } });
      await signUp({ client: c, body: { name: 'B', email: 'rl2@example.com', password: 'password 2' } });
      const third = await signUp({ client: c, body: { name: 'C', email: 'rl3@example.com', password: 'password 3' } });
      expect(third.response.status).toBe(429);
      expect(Number(third.response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.error).toMatchObject({ code: 'RATE_LIMITED' });

      for (let i = 0; i < 3; i++) {
        expect((await signIn({ client: c, body: { email: 'rl1@example.com', password: 'wrong password' } })).response.status).toBe(401);
      }
      const blocked = await signIn({ client: c, body: { email: 'rl1@example.com', password: 'password 1' } });
      expect(blocked.response.status).toBe(429);
      expect(ok.response.status).toBe(201);
    } finally {
      await limited.stop();
    }
  });
});


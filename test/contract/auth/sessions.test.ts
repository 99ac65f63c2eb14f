// Auth: the four credential schemes and their precedence, the session, signing out, Secure cookies.
import { describe, expect, it } from 'vitest';
import {
  apiKey,
  bearerToken,
  createApiKey,
  createPlatformClient,
  getSession,
  sessionCookie,
  signIn,
  signOut,
  signUp,
} from '@platform/client';
import { startTestServer, useTestServer, watchClient } from '../../helpers/server.js';
import { newAdmin, newUser } from '../../helpers/users.js';

useTestServer();
const cookieAuth = (name: string, token: string) => ({ headers: { Cookie: `${name}=${token}` } });

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
      expect(response?.status, JSON.stringify(options)).toBe(200);
      // expiresAt: the session's end for a session token, the key's expiresAt for an API key.
      expect(data).toMatchObject({
        user: { id: alice.user.id },
        authMethod: method,
        isAdmin: false,
        expiresAt: method === 'session' ? alice.expiresAt : key.expiresAt,
      });
    }
  });

  it('uses the first credential present and never falls back: a bad Bearer beats a good cookie (401)', async () => {
    const alice = await newUser('Alice');
    const { error, response } = await getSession({
      auth: bearerToken('not-a-token'),
      ...cookieAuth('session', alice.token),
    });
    expect(response?.status).toBe(401);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('answers 401 without credentials, and 400 for unknown query parameters', async () => {
    expect((await getSession()).response?.status).toBe(401);
    const alice = await newUser('Alice');
    const { error, response } = await getSession({ ...alice.as, query: { verbose: 'true' } as never });
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ errors: [{ in: 'query', field: 'verbose' }] });
  });

  it('reports the admin the server created at start (test/contract/auth/admins.test.ts has the rest)', async () => {
    const admin = await newAdmin();
    expect((await getSession(admin.as)).data!.isAdmin).toBe(true);
  });
});

describe('signOut', () => {
  it('revokes the session and clears both cookies (204); the token then fails (401)', async () => {
    const alice = await newUser('Alice');
    const { response } = await signOut(alice.as);
    expect(response?.status).toBe(204);
    const cookies = response?.headers.getSetCookie();
    expect(cookies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^session=; .*Max-Age=0/),
        expect.stringMatching(/^vai_token=; .*Max-Age=0/),
      ]),
    );
    expect((await getSession(alice.as)).response?.status).toBe(401);
  });

  it('is idempotent: without credentials or with a dead token it still answers 204', async () => {
    expect((await signOut()).response?.status).toBe(204);
    expect((await signOut({ auth: bearerToken('expired-or-unknown') })).response?.status).toBe(204);
  });

  it("does not revoke API keys, nor the user's other sessions", async () => {
    const alice = await newUser('Alice');
    const key = (await createApiKey({ body: { name: 'deploy' }, ...alice.as })).data!;
    const second = (await signIn({ body: { email: alice.user.email, password: alice.password } })).data!;
    await signOut({ auth: apiKey(key.key) });
    await signOut(alice.as);
    expect((await getSession({ auth: apiKey(key.key) })).response?.status).toBe(200);
    expect((await getSession({ auth: bearerToken(second.token) })).response?.status).toBe(200);
  });

  it('rejects unknown query parameters (400)', async () => {
    expect((await signOut({ query: { all: 'true' } as never })).response?.status).toBe(400);
  });
});

describe('cookies behind an https proxy', () => {
  it('are marked Secure when the client reached a trusted proxy over https', async () => {
    const proxied = await startTestServer({ trustedProxyHops: 1 });
    const c = createPlatformClient({ baseUrl: proxied.baseUrl, headers: { 'X-Forwarded-Proto': 'https' } });
    watchClient(c);
    try {
      const { response } = await signUp({
        client: c,
        body: { name: 'Tess', email: 'tess@example.com', password: 'long enough' },
      });
      expect(response?.status).toBe(201);
      expect(response?.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    } finally {
      await proxied.stop();
    }
  });
});

// Auth: creating an account and signing in, with their rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlatformClient, signIn, signUp } from '@platform/client';
import { startTestServer, useTestServer, watchClient } from '../../helpers/server.js';
import { newUser } from '../../helpers/users.js';

useTestServer();

describe('signUp', () => {
  it('creates the account, signs it in and sets an HttpOnly session cookie (201)', async () => {
    const { data, response } = await signUp({
      body: { name: '  Alice ', email: 'Alice.Sign@Example.COM', password: 'correct horse' },
    });
    expect(response?.status).toBe(201);
    expect(data!.user).toMatchObject({ name: 'Alice', email: 'alice.sign@example.com', image: null });
    expect(Date.parse(data!.expiresAt) - Date.now()).toBeGreaterThan(29 * 24 * 3600 * 1000);
    const cookie = response!.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^session=${data!.token}; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
    expect(response?.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a second account with the same email, whatever its case (409 EMAIL_TAKEN)', async () => {
    await signUp({ body: { name: 'Bob', email: 'bob.dup@example.com', password: 'password one' } });
    const { error, response } = await signUp({
      body: { name: 'Bob 2', email: 'BOB.DUP@example.com', password: 'password two' },
    });
    expect(response?.status).toBe(409);
    expect(error).toMatchObject({ code: 'EMAIL_TAKEN' });
  });

  it('names each invalid field (400) and creates nothing', async () => {
    const { error, response } = await signUp({ body: { name: '', email: 'not-an-email', password: 'short' } });
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    const fields = [...new Set((error as { errors: Array<{ field: string }> }).errors.map((e) => e.field))].sort();
    expect(fields).toEqual(['email', 'name', 'password']);
    // One bad field is enough to write nothing: the same email is still free afterwards.
    expect(
      (await signUp({ body: { name: 'Carol', email: 'carol.once@example.com', password: 'short' } })).response?.status,
    ).toBe(400);
    expect(
      (await signUp({ body: { name: 'Carol', email: 'carol.once@example.com', password: 'long enough' } })).response
        ?.status,
    ).toBe(201);
  });

  it('rejects a body over 1 MB (413)', async () => {
    const { error, response } = await signUp({
      body: { name: 'x'.repeat(1_100_000), email: 'big@example.com', password: 'long enough' },
    });
    expect(response?.status).toBe(413);
    expect(error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('rejects a body that is not JSON (400 INVALID_JSON)', async () => {
    const { error, response } = await signUp({ body: '{"name":' as never, bodySerializer: (b) => b as string });
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ code: 'INVALID_JSON' });
  });
});

describe('signIn', () => {
  it('returns a new session for the right password (200)', async () => {
    const alice = await newUser('Alice');
    const { data, response } = await signIn({
      body: { email: alice.user.email.toUpperCase(), password: alice.password },
    });
    expect(response?.status).toBe(200);
    expect(data!.user.id).toBe(alice.user.id);
    expect(data!.token).not.toBe(alice.token);
    expect(response?.headers.get('set-cookie')).toContain(`session=${data!.token};`);
  });

  it('answers wrong password and unknown email the same way (401 INVALID_CREDENTIALS)', async () => {
    const alice = await newUser('Alice');
    const wrong = await signIn({ body: { email: alice.user.email, password: 'not the password' } });
    const unknown = await signIn({ body: { email: 'nobody@example.com', password: 'not the password' } });
    for (const attempt of [wrong, unknown]) {
      expect(attempt.response?.status).toBe(401);
      expect(attempt.error).toMatchObject({
        code: 'INVALID_CREDENTIALS',
        detail: 'The email or password is incorrect.',
      });
    }
  });

  it('names a missing field (400)', async () => {
    const { error, response } = await signIn({ body: { email: 'a@example.com' } as never });
    expect(response?.status).toBe(400);
    expect(error).toMatchObject({ errors: [{ in: 'body', field: 'password', message: 'is required' }] });
  });

  it('rejects a body over 1 MB (413)', async () => {
    const { response } = await signIn({ body: { email: 'a@example.com', password: 'x'.repeat(1_100_000) } });
    expect(response?.status).toBe(413);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once an IP or an email has used its sign-up and sign-in allowance', async () => {
    const limited = await startTestServer({
      rateLimits: {
        signUpPerIp: 2,
        signInPerIp: 1000,
        signInFailuresPerEmailAndIp: 3,
        inviteeLookupFailuresPerIp: 1000,
      },
    });
    const c = createPlatformClient({ baseUrl: limited.baseUrl });
    watchClient(c);
    try {
      const ok = await signUp({ client: c, body: { name: 'A', email: 'rl1@example.com', password: 'password 1' } });
      await signUp({ client: c, body: { name: 'B', email: 'rl2@example.com', password: 'password 2' } });
      const third = await signUp({ client: c, body: { name: 'C', email: 'rl3@example.com', password: 'password 3' } });
      expect(third.response?.status).toBe(429);
      expect(Number(third.response?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(third.error).toMatchObject({ code: 'RATE_LIMITED' });

      for (let i = 0; i < 3; i++) {
        expect(
          (await signIn({ client: c, body: { email: 'rl1@example.com', password: 'wrong password' } })).response
            ?.status,
        ).toBe(401);
      }
      const blocked = await signIn({ client: c, body: { email: 'rl1@example.com', password: 'password 1' } });
      expect(blocked.response?.status).toBe(429);
      expect(ok.response?.status).toBe(201);
    } finally {
      await limited.stop();
    }
  });
});

describe('sign-in limits: counted before they are checked, a lockout per address', () => {
  const LIMITS = {
    signUpPerIp: 1000,
    signInPerIp: 1000,
    signInFailuresPerEmailAndIp: 10,
    inviteeLookupFailuresPerIp: 1000,
  };
  let limited: Awaited<ReturnType<typeof startTestServer>>;
  let c: ReturnType<typeof createPlatformClient>;
  beforeAll(async () => {
    limited = await startTestServer({ trustedProxyHops: 1, rateLimits: LIMITS });
    c = createPlatformClient({ baseUrl: limited.baseUrl });
    watchClient(c);
  });
  afterAll(async () => {
    await limited?.stop();
  });

  const account = async (email: string) => {
    expect(
      (
        await signUp({
          client: c,
          headers: { 'X-Forwarded-For': '192.0.2.1' },
          body: { name: 'Owner', email, password: 'the right password' },
        })
      ).response?.status,
    ).toBe(201);
  };
  /** A sign-in from `address` (the proxy's X-Forwarded-For entry); its status. */
  const attempt = (address: string, email: string, password: string) =>
    signIn({ client: c, headers: { 'X-Forwarded-For': address }, body: { email, password } }).then(
      (r) => r.response?.status,
    );

  it('30 wrong passwords sent at once: exactly the limit (10) are checked (401), the rest refused unchecked (429)', async () => {
    await account('parallel@example.com');
    const statuses = await Promise.all(
      Array.from({ length: 30 }, () => attempt('203.0.113.30', 'parallel@example.com', 'a wrong password')),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMITS.signInFailuresPerEmailAndIp);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - LIMITS.signInFailuresPerEmailAndIp);
  });

  it("an attacker who used up an email's failures elsewhere cannot lock its owner out; the attacker's address stays refused", async () => {
    await account('victim@example.com');
    for (let n = 0; n < LIMITS.signInFailuresPerEmailAndIp; n++)
      expect(await attempt('203.0.113.66', 'victim@example.com', `guess ${n}`)).toBe(401);
    expect(await attempt('203.0.113.66', 'victim@example.com', 'the right password')).toBe(429);
    // A forged leftmost entry does not make the attacker someone else.
    expect(await attempt('198.51.100.20, 203.0.113.66', 'victim@example.com', 'the right password')).toBe(429);
    expect(await attempt('198.51.100.20', 'victim@example.com', 'the right password')).toBe(200);
  });

  it('a sign-in that succeeds does not count as a failure', async () => {
    await account('regular@example.com');
    for (let n = 0; n < 2 * LIMITS.signInFailuresPerEmailAndIp; n++)
      expect(await attempt('198.51.100.30', 'regular@example.com', 'the right password')).toBe(200);
    for (let n = 0; n < LIMITS.signInFailuresPerEmailAndIp; n++)
      expect(await attempt('198.51.100.30', 'regular@example.com', 'a typo')).toBe(401);
    expect(await attempt('198.51.100.30', 'regular@example.com', 'the right password')).toBe(429);
  });
});

describe('the per-address sign-in limit', () => {
  it('refuses an address that tries many emails, and only that address', async () => {
    const limited = await startTestServer({
      trustedProxyHops: 1,
      rateLimits: {
        signUpPerIp: 1000,
        signInPerIp: 5,
        signInFailuresPerEmailAndIp: 1000,
        inviteeLookupFailuresPerIp: 1000,
      },
    });
    const c = createPlatformClient({ baseUrl: limited.baseUrl });
    watchClient(c);
    try {
      const from = (address: string, email: string, password: string) =>
        signIn({ client: c, headers: { 'X-Forwarded-For': address }, body: { email, password } }).then(
          (r) => r.response?.status,
        );
      await signUp({
        client: c,
        headers: { 'X-Forwarded-For': '192.0.2.2' },
        body: { name: 'O', email: 'sprayed@example.com', password: 'the right password' },
      });
      const statuses = await Promise.all(
        Array.from({ length: 8 }, (_, n) => from('203.0.113.5', `someone.${n}@example.com`, 'password123')),
      );
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3);
      expect(await from('203.0.113.5', 'sprayed@example.com', 'the right password')).toBe(429);
      expect(await from('198.51.100.5', 'sprayed@example.com', 'the right password')).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});

describe('rate limits behind a proxy (TRUST_PROXY)', () => {
  it('count the address the trusted proxy saw: forged leftmost X-Forwarded-For entries change nothing', async () => {
    const limited = await startTestServer({
      trustedProxyHops: 1,
      rateLimits: {
        signUpPerIp: 3,
        signInPerIp: 1000,
        signInFailuresPerEmailAndIp: 1000,
        inviteeLookupFailuresPerIp: 1000,
      },
    });
    const c = createPlatformClient({ baseUrl: limited.baseUrl });
    watchClient(c);
    try {
      const from = (forwardedFor: string, n: number) =>
        signUp({
          client: c,
          headers: { 'X-Forwarded-For': forwardedFor },
          body: { name: 'F', email: `forged.${n}@example.com`, password: 'password 1' },
        }).then((r) => r.response?.status);
      const statuses: Array<number | undefined> = [];
      for (let n = 0; n < 6; n++) statuses.push(await from(`10.0.${n}.1, 192.168.0.${n}, 198.51.100.7`, n));
      expect(statuses).toEqual([201, 201, 201, 429, 429, 429]);
      // Another client behind the same proxy has its own allowance.
      expect(await from('198.51.100.8', 6)).toBe(201);
    } finally {
      await limited.stop();
    }
  });
});

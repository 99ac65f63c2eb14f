// Admins are made by the operator, never by a request: the server creates the accounts ADMIN_EMAILS lists at
// start (this server lists ADMIN_EMAIL, with ADMIN_PASSWORD), and signing up never makes an admin.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  apiKey,
  createApiKey,
  creditWallet,
  getSession,
  listVerificationRequests,
  signIn,
  signUp,
} from '@platform/client';
import { ADMIN_EMAIL, ADMIN_PASSWORD, useTestServer } from '../../helpers/server.js';
import { newAdmin, newUser } from '../../helpers/users.js';

useTestServer();

describe('an email listed in ADMIN_EMAILS', () => {
  it('belongs to the admin the server created at start: a sign-up with it, in any case, is an ordinary 409 EMAIL_TAKEN', async () => {
    for (const email of [ADMIN_EMAIL, ADMIN_EMAIL.toUpperCase()]) {
      const { error, response } = await signUp({ body: { name: 'Mallory', email, password: 'mallory-password' } });
      expect(response?.status).toBe(409);
      expect(error).toMatchObject({ code: 'EMAIL_TAKEN' });
    }
    // The refused sign-up changed nothing: its password does not open the account.
    expect((await signIn({ body: { email: ADMIN_EMAIL, password: 'mallory-password' } })).response?.status).toBe(401);
  });

  it('signs in with ADMIN_PASSWORD as an admin named "Admin", with every credential', async () => {
    const admin = await newAdmin();
    expect(admin.user).toMatchObject({ name: 'Admin', email: ADMIN_EMAIL });
    expect(admin.password).toBe(ADMIN_PASSWORD);
    const key = (await createApiKey({ body: { name: 'ops' }, ...admin.as })).data!;
    for (const as of [admin.as, { auth: apiKey(key.key) }]) {
      expect((await getSession(as)).data).toMatchObject({ user: { id: admin.user.id }, isAdmin: true });
      expect((await listVerificationRequests(as)).response?.status).toBe(200);
    }
  });
});

describe('signing up', () => {
  it('never makes an admin: the account gets 403 ADMIN_REQUIRED on admin operations', async () => {
    const alice = await newUser('Alice');
    expect((await getSession(alice.as)).data!.isAdmin).toBe(false);
    const { error, response } = await creditWallet({
      path: { user_id: alice.user.id },
      body: { amount: 100, reason: 'self', idempotencyKey: randomUUID() },
      ...alice.as,
    });
    expect(response?.status).toBe(403);
    expect(error).toMatchObject({ code: 'ADMIN_REQUIRED' });
  });
});

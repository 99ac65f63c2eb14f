// Users and credentials for tests, made through the API itself.
import { randomBytes } from 'node:crypto';
import { bearerToken, signIn, signUp, type AuthResult, type Client } from '@platform/client';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server.js';

export interface TestUser extends AuthResult {
  password: string;
  /** Spread into a call to make it as this user, on the user's server: `getSpace({ path, ...alice.as })`. */
  as: { auth: ReturnType<typeof bearerToken>; client?: Client };
}

let counter = 0;

/** Signs a new user up, on the server of `client` (the shared client by default). */
export async function newUser(name = 'User', options: { email?: string; client?: Client } = {}): Promise<TestUser> {
  counter += 1;
  const email =
    options.email ??
    `${name.toLowerCase().replace(/\W+/g, '.')}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const { data, error } = await signUp({
    ...(options.client ? { client: options.client } : {}),
    body: { name, email, password },
  });
  if (error || !data) throw new Error(`sign-up failed: ${JSON.stringify(error)}`);
  return {
    ...data,
    password,
    as: { auth: bearerToken(data.token), ...(options.client ? { client: options.client } : {}) },
  };
}

/** Signs in as the admin the server created at start (a new session each time), on the server of `client`. */
export async function newAdmin(options: { client?: Client } = {}): Promise<TestUser> {
  const client = options.client ? { client: options.client } : {};
  const { data, error } = await signIn({ ...client, body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  if (error || !data) throw new Error(`admin sign-in failed: ${JSON.stringify(error)}`);
  return { ...data, password: ADMIN_PASSWORD, as: { auth: bearerToken(data.token), ...client } };
}

// Users and credentials for tests, made through the API itself.
import { randomBytes } from 'node:crypto';
import { bearerToken, signUp, type AuthResult, type Client } from '@platform/client';
import { ADMIN_EMAIL } from './server.js';

export interface TestUser extends AuthResult {
  password: string;
  /** Spread into a call to make it as this user, on the user's server: `getSpace({ path, ...alice.as })`. */
  as: { auth: ReturnType<typeof bearerToken>; client?: Client };
}

let counter = 0;

/** Signs a new user up, on the server of `client` (the shared client by default). */
export async function newUser(name = 'User', options: { email?: string; client?: Client } = {}): Promise<TestUser> {
  counter += 1;
  const email = options.email ?? `${name.toLowerCase().replace(/\W+/g, '.')}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const { data, error } = await signUp({ ...(options.client ? { client: options.client } : {}), body: { name, email, password } });
  if (error || !data) throw new Error(`sign-up failed: ${JSON.stringify(error)}`);
  return { ...data, password, as: { auth: bearerToken(data.token), ...(options.client ? { client: options.client } : {}) } };
}

export const newAdmin = (options: { client?: Client } = {}) => newUser('Admin', { ...options, email: ADMIN_EMAIL });

// Users and credentials for tests, made through the API itself.
import { randomBytes } from 'node:crypto';
import { bearerToken, signUp, type AuthResult } from '@platform/client';
import { ADMIN_EMAIL } from './server.js';

export interface TestUser extends AuthResult {
  password: string;
  /** Spread into a call to make it as this user: `getSpace({ path, ...alice.as })`. */
  as: { auth: ReturnType<typeof bearerToken> };
}

let counter = 0;

export async function newUser(name = 'User', options: { email?: string } = {}): Promise<TestUser> {
  counter += 1;
  const email = options.email ?? `${name.toLowerCase().replace(/\W+/g, '.')}.${counter}.${randomBytes(3).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const { data, error } = await signUp({ body: { name, email, password } });
  if (error || !data) throw new Error(`sign-up failed: ${JSON.stringify(error)}`);
  return { ...data, password, as: { auth: bearerToken(data.token) } };
}

export const newAdmin = () => newUser('Admin', { email: ADMIN_EMAIL });

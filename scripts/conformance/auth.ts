// Identities and credential variants. The suite signs up its own users through the API, and signs in as the
// admin the server created at start (no request can make one); the auth operations below are the one piece of
// the platform it has to know by path: it needs credentials before it can test anything. It derives the broken
// credentials the auth checks send: expired, revoked, garbage.
import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { ContractModel, SecurityScheme } from './contract.js';
import type { HttpClient } from './http.js';

const AUTH = {
  signUp: ['POST', '/api/auth/sign-up'],
  signIn: ['POST', '/api/auth/sign-in'],
  signOut: ['POST', '/api/auth/sign-out'],
  session: ['GET', '/api/auth/session'],
  createKey: ['POST', '/api/auth/api-keys'],
  deleteKey: ['DELETE', '/api/auth/api-keys/{id}'],
} as const;

export interface User {
  label: string;
  id: string;
  email: string;
  password: string;
  token: string;
  apiKey: string;
}

/** One way of presenting a secret. `user` is who it authenticates as (none for broken credentials). */
export interface Credential {
  /** What it is, for reports: "session token of user A", "expired session token", ... */
  label: string;
  scheme: SecurityScheme;
  secret: string;
  user?: User;
}

export function credentialHeaders(credential: Credential | undefined): Record<string, string> {
  if (!credential) return {};
  const { scheme, secret } = credential;
  if (scheme.kind === 'bearer') return { Authorization: `Bearer ${secret}` };
  if (scheme.kind === 'header') return { [scheme.param!]: secret };
  return { Cookie: `${scheme.param}=${secret}` };
}

/** API-key schemes take an API key; every other scheme carries the session token. */
const takesApiKey = (scheme: SecurityScheme) => scheme.kind === 'header';

export class Identities {
  readonly users: Record<'A' | 'B' | 'admin', User>;
  /** Secrets this run created, masked as $TOKEN in curl commands. */
  readonly secrets = new Set<string>();
  broken: { expired: string; revokedSession: string; revokedKey: string } = {
    expired: '',
    revokedSession: '',
    revokedKey: '',
  };

  private constructor(
    private readonly http: HttpClient,
    private readonly contract: ContractModel,
    users: Identities['users'],
  ) {
    this.users = users;
  }

  static async create(
    http: HttpClient,
    contract: ContractModel,
    knex: Knex,
    admin: { email: string; password: string },
    seed: number,
  ): Promise<Identities> {
    for (const [method, path] of Object.values(AUTH)) {
      if (!contract.find(method, path))
        throw new Error(`the contract has no ${method} ${path}: the suite cannot make credentials`);
    }
    const tag = `${seed}-${randomBytes(3).toString('hex')}`;
    const users = {
      A: await signUp(http, 'A', `conformance-a-${tag}@example.com`),
      B: await signUp(http, 'B', `conformance-b-${tag}@example.com`),
      admin: await signInAs(http, 'admin', admin),
    };
    const identities = new Identities(http, contract, users);
    for (const user of Object.values(users)) {
      user.apiKey = await identities.createKey(user, 'conformance');
      identities.secrets.add(user.token).add(user.apiKey);
    }

    // Expired: a real session whose expiry is moved into the past, in the suite's own database.
    const expired = await identities.signIn(users.A);
    const updated = await knex('auth_sessions')
      .where('token_hash', sha256(expired))
      .update({ expires_at: knex.raw(`now() - interval '1 day'`) });
    if (updated !== 1) throw new Error('could not expire a session (table auth_sessions, column token_hash)');
    // Revoked: a session signed out, and an API key deleted.
    const revokedSession = await identities.signIn(users.A);
    await expectStatus(http, AUTH.signOut, { Authorization: `Bearer ${revokedSession}` }, undefined, 204);
    const revokedKeyId = await identities.createKeyId(users.A, 'to be revoked');
    await expectStatus(
      http,
      [AUTH.deleteKey[0], AUTH.deleteKey[1].replace('{id}', revokedKeyId.id)],
      { Authorization: `Bearer ${users.A.token}` },
      undefined,
      204,
    );
    identities.broken = { expired, revokedSession, revokedKey: revokedKeyId.key };
    for (const s of Object.values(identities.broken)) identities.secrets.add(s);
    return identities;
  }

  scheme(name: string): SecurityScheme {
    const scheme = this.contract.schemes.find((s) => s.name === name);
    if (!scheme) throw new Error(`unknown security scheme ${name}`);
    return scheme;
  }

  /** The user's credential under a scheme. */
  as(user: User, schemeName: string): Credential {
    const scheme = this.scheme(schemeName);
    const secret = takesApiKey(scheme) ? user.apiKey : user.token;
    return {
      label: `${takesApiKey(scheme) ? 'API key' : 'session token'} of user ${user.label} (${schemeName})`,
      scheme,
      secret,
      user,
    };
  }

  /** A user's credential under the operation's preferred scheme: Bearer when it is listed. */
  preferred(user: User, schemes: string[]): Credential {
    const bearer = schemes.find((s) => this.scheme(s).kind === 'bearer');
    return this.as(user, bearer ?? schemes[0]!);
  }

  async signIn(user: User): Promise<string> {
    const body = await expectStatus(this.http, AUTH.signIn, {}, { email: user.email, password: user.password }, 200);
    const token = (body as { token: string }).token;
    this.secrets.add(token);
    return token;
  }

  /**
   * Makes sure every user's session and key still work (an operation such as sign-out may have revoked
   * what it was sent); signs in again when not. Returns what had to be renewed.
   */
  async renew(): Promise<string[]> {
    const renewed: string[] = [];
    for (const user of Object.values(this.users)) {
      const check = (headers: Record<string, string>) =>
        this.http.send({ method: AUTH.session[0], target: AUTH.session[1], headers });
      if ((await check({ Authorization: `Bearer ${user.token}` })).status !== 200) {
        user.token = await this.signIn(user);
        renewed.push(`session token of user ${user.label}`);
      }
      if ((await check({ 'X-API-Key': user.apiKey })).status !== 200) {
        user.apiKey = await this.createKey(user, 'conformance (renewed)');
        this.secrets.add(user.apiKey);
        renewed.push(`API key of user ${user.label}`);
      }
    }
    return renewed;
  }

  private async createKey(user: User, name: string): Promise<string> {
    return (await this.createKeyId(user, name)).key;
  }

  private async createKeyId(user: User, name: string): Promise<{ id: string; key: string }> {
    const body = await expectStatus(
      this.http,
      AUTH.createKey,
      { Authorization: `Bearer ${user.token}` },
      { name },
      201,
    );
    return body as { id: string; key: string };
  }
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function signUp(http: HttpClient, label: string, email: string): Promise<User> {
  const password = `pw-${randomBytes(9).toString('hex')}`;
  const body = (await expectStatus(http, AUTH.signUp, {}, { name: `Conformance ${label}`, email, password }, 201)) as {
    user: { id: string };
    token: string;
  };
  return { label, id: body.user.id, email, password, token: body.token, apiKey: '' };
}

/** The admin exists from the server's start (ADMIN_EMAILS); it signs in. */
async function signInAs(http: HttpClient, label: string, account: { email: string; password: string }): Promise<User> {
  const body = (await expectStatus(http, AUTH.signIn, {}, account, 200)) as { user: { id: string }; token: string };
  return { label, id: body.user.id, ...account, token: body.token, apiKey: '' };
}

async function expectStatus(
  http: HttpClient,
  [method, target]: readonly [string, string],
  headers: Record<string, string>,
  body: unknown,
  status: number,
): Promise<unknown> {
  const exchange = await http.send({
    method,
    target,
    headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (exchange.status !== status)
    throw new Error(
      `setting up credentials: ${method} ${target} answered ${exchange.status}, not ${status}: ${exchange.text.slice(0, 300)}`,
    );
  return exchange.json;
}

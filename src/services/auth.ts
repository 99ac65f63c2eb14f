// Identity: accounts, sessions, API keys, and resolving a request's credential to a principal.
import type { Knex } from 'knex';
import type * as T from '../../generated/client/src/gen/types.gen.js';
import { ApiError, conflict, notFound } from '../errors/api-error.js';
import { User } from '../models/User.js';
import { AuthSession } from '../models/AuthSession.js';
import { ApiKey } from '../models/ApiKey.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import { hashToken, newApiKey, newSessionToken } from './tokens.js';
import { isUniqueViolation } from './db-errors.js';

export type CredentialScheme = 'bearerAuth' | 'apiKeyHeader' | 'sessionCookie' | 'vaiTokenCookie';

/** A credential as presented by the client. */
export interface Credential {
  scheme: CredentialScheme;
  token: string;
}

/** Who is calling: the authenticated user and how they proved it. */
export interface Principal {
  user: T.User;
  scheme: CredentialScheme;
  method: 'session' | 'api_key';
  /** When the credential stops working; null for an API key without expiry. */
  expiresAt: Date | null;
  isAdmin: boolean;
}

export const MAX_ACTIVE_API_KEYS = 25;

export const toUser = (user: User): T.User => ({ id: user.id, name: user.name, email: user.email, image: user.image });

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export class AuthService {
  constructor(
    private readonly db: Knex,
    private readonly options: { sessionTtlDays: number; adminEmails: ReadonlySet<string> },
  ) {}

  async signUp(input: T.SignUpRequest): Promise<T.AuthResult> {
    const passwordHash = await hashPassword(input.password);
    return this.db.transaction(async (trx) => {
      let user: User;
      try {
        user = await User.query(trx).insertAndFetch({ name: input.name.trim(), email: normalizeEmail(input.email), passwordHash, image: null });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('EMAIL_TAKEN', 'An account with this email already exists.');
        throw error;
      }
      return this.startSession(trx, user);
    });
  }

  /** Wrong email and wrong password look the same, and take the same time. */
  async signIn(input: T.SignInRequest): Promise<T.AuthResult | null> {
    const user = await User.query(this.db).findOne({ email: normalizeEmail(input.email) });
    const valid = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !valid) return null;
    return this.startSession(this.db, user);
  }

  private async startSession(db: Knex, user: User): Promise<T.AuthResult> {
    const token = newSessionToken();
    const expiresAt = new Date(Date.now() + this.options.sessionTtlDays * 24 * 3600 * 1000);
    await AuthSession.query(db).insert({ userId: user.id, tokenHash: hashToken(token), expiresAt });
    return { user: toUser(user), token, expiresAt: expiresAt.toISOString() };
  }

  /** Revokes every session token presented (API keys are not revoked by signing out). */
  async signOut(credentials: Credential[]): Promise<void> {
    const hashes = credentials.filter((c) => c.scheme !== 'apiKeyHeader').map((c) => hashToken(c.token));
    if (hashes.length === 0) return;
    await AuthSession.query(this.db).whereIn('tokenHash', hashes).whereNull('revokedAt').patch({ revokedAt: new Date() });
  }

  /**
   * The principal behind a credential, or undefined when it is unknown, expired or revoked. This runs on
   * every authenticated request, so it is one indexed join in plain knex (Objection's graph join cost
   * ~0.6 ms of CPU per request here; see docs/benchmarks.md).
   */
  async authenticate(credential: Credential): Promise<Principal | undefined> {
    const now = new Date();
    const hash = hashToken(credential.token);
    if (credential.scheme === 'apiKeyHeader') {
      const key = await this.db('api_keys as k').join('users as u', 'u.id', 'k.userId')
        .where('k.keyHash', hash).whereNull('k.revokedAt').where((q) => q.whereNull('k.expiresAt').orWhere('k.expiresAt', '>', now))
        .first<(T.User & { keyId: string; expiresAt: Date | null; lastUsedAt: Date | null }) | undefined>(
          'u.id', 'u.name', 'u.email', 'u.image', 'k.id as keyId', 'k.expiresAt', 'k.lastUsedAt');
      if (!key) return undefined;
      // Recorded at most once a minute, without making the request wait for it.
      if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
        void this.db('api_keys').where('id', key.keyId).update({ lastUsedAt: now }).catch(() => undefined);
      }
      return this.principal(key, credential.scheme, 'api_key', key.expiresAt);
    }
    const session = await this.db('auth_sessions as s').join('users as u', 'u.id', 's.userId')
      .where('s.tokenHash', hash).whereNull('s.revokedAt').where('s.expiresAt', '>', now)
      .first<(T.User & { expiresAt: Date }) | undefined>('u.id', 'u.name', 'u.email', 'u.image', 's.expiresAt');
    if (!session) return undefined;
    return this.principal(session, credential.scheme, 'session', session.expiresAt);
  }

  private principal(row: T.User, scheme: CredentialScheme, method: Principal['method'], expiresAt: Date | null): Principal {
    const user = { id: row.id, name: row.name, email: row.email, image: row.image };
    return { user, scheme, method, expiresAt, isAdmin: this.options.adminEmails.has(user.email) };
  }

  sessionInfo(principal: Principal): T.AuthSessionInfo {
    return {
      user: principal.user,
      expiresAt: principal.expiresAt?.toISOString() ?? null,
      authMethod: principal.method,
      isAdmin: principal.isAdmin,
    };
  }

  async createApiKey(principal: Principal, input: T.ApiKeyCreateRequest): Promise<T.ApiKeyCreated> {
    const { key, prefix } = newApiKey();
    const expiresAt = new Date(Date.now() + (input.expiresInDays ?? 90) * 24 * 3600 * 1000);
    return this.db.transaction(async (trx) => {
      // Lock the user so concurrent creations cannot both pass the limit.
      await User.query(trx).findById(principal.user.id).forUpdate();
      const active = await activeKeys(ApiKey.query(trx).where('userId', principal.user.id)).resultSize();
      if (active >= MAX_ACTIVE_API_KEYS) throw conflict('API_KEY_LIMIT', `You already have ${MAX_ACTIVE_API_KEYS} active API keys; delete one first.`);
      const row = await ApiKey.query(trx).insertAndFetch({ userId: principal.user.id, name: input.name.trim(), prefix, keyHash: hashToken(key), expiresAt });
      return { ...toApiKey(row), key };
    });
  }

  async listApiKeys(principal: Principal): Promise<T.ApiKeyList> {
    const rows = await activeKeys(ApiKey.query(this.db).where('userId', principal.user.id)).orderBy([{ column: 'createdAt', order: 'desc' }, { column: 'id', order: 'desc' }]);
    return { apiKeys: rows.map(toApiKey) };
  }

  async deleteApiKey(principal: Principal, id: string): Promise<void> {
    const revoked = await activeKeys(ApiKey.query(this.db).where({ id, userId: principal.user.id })).patch({ revokedAt: new Date() });
    if (revoked === 0) throw notFound('NOT_FOUND', 'No such API key.');
  }
}

const activeKeys = <Q extends ReturnType<typeof ApiKey.query>>(query: Q) =>
  query.whereNull('revokedAt').where((q) => q.whereNull('expiresAt').orWhere('expiresAt', '>', new Date())) as Q;

const toApiKey = (row: ApiKey): T.ApiKey => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

export const invalidCredentials = () => new ApiError(401, 'INVALID_CREDENTIALS', 'The email or password is incorrect.');

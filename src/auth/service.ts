// Identity: accounts, sessions, API keys, and resolving a request's credential to a principal.
import type { Knex } from 'knex';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Clock } from '../platform/clock.js';
import { isUniqueViolation } from '../platform/db-errors.js';
import type { Authenticator, Credential, CredentialScheme, Principal } from '../platform/principal.js';
import { inTransaction, type Db, type Transaction } from '../platform/transactions.js';
import { announceCredentialsEnded } from '../realtime/credential-ends.js';
import { MAX_ACTIVE_API_KEYS, apiKeyLimit, apiKeyNotFound, emailTaken } from './errors.js';
import { ApiKey, AuthSession, User } from './models.js';
import { dummyHash, hashPassword, verifyPassword } from './passwords.js';
import {
  findApiKeyUser,
  findSessionUser,
  liveCredentialIds,
  normalizeEmail,
  recordApiKeyUse,
  type UserRow,
} from './queries.js';
import { StreamTickets } from './stream-tickets.js';
import { hashToken, newApiKey, newSessionToken } from './tokens.js';
import { toApiKey, toUser } from './wire.js';

const DAY_MS = 24 * 3600 * 1000;
/** The schemes that carry a session token (the others: an API key, a stream ticket). */
const SESSION_SCHEMES = new Set<CredentialScheme>(['bearerAuth', 'sessionCookie', 'vaiTokenCookie']);

export interface AuthOptions {
  sessionTtlDays: number;
}

export class AuthService implements Authenticator {
  /** Room stream tickets (`?ticket=`), derived from a session or an API key. */
  readonly tickets: StreamTickets;

  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
    private readonly options: AuthOptions,
  ) {
    this.tickets = new StreamTickets(db, clock);
  }

  async signUp(input: T.SignUpRequest, trx?: Transaction): Promise<T.AuthResult> {
    const passwordHash = await hashPassword(input.password);
    return inTransaction(this.db, trx, async (t) => {
      let user: User;
      try {
        user = await User.query(t).insertAndFetch({
          name: input.name.trim(),
          email: normalizeEmail(input.email),
          passwordHash,
          image: null,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw emailTaken();
        throw error;
      }
      return this.startSession(t, user);
    });
  }

  /** Wrong email and wrong password look the same, and take the same time: null for both. */
  async signIn(input: T.SignInRequest, trx?: Transaction): Promise<T.AuthResult | null> {
    const user = await User.query(trx ?? this.db).findOne({ email: normalizeEmail(input.email) });
    const valid = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !valid) return null;
    return this.startSession(trx ?? this.db, user);
  }

  private async startSession(db: Db, user: User): Promise<T.AuthResult> {
    const token = newSessionToken();
    const expiresAt = new Date(this.clock.now().getTime() + this.options.sessionTtlDays * DAY_MS);
    await AuthSession.query(db).insert({ userId: user.id, tokenHash: hashToken(token), expiresAt });
    return { user: toUser(user), token, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Revokes every session token presented (API keys are not revoked by signing out); the streams they opened
   * end, on every instance, when this commits.
   */
  async signOut(credentials: Credential[], trx?: Transaction): Promise<void> {
    const hashes = credentials.filter((c) => SESSION_SCHEMES.has(c.scheme)).map((c) => hashToken(c.token));
    if (hashes.length === 0) return;
    await inTransaction(this.db, trx, async (t) => {
      const ended = await AuthSession.query(t)
        .whereIn('tokenHash', hashes)
        .whereNull('revokedAt')
        .patch({ revokedAt: this.clock.now() })
        .returning('id');
      await announceCredentialsEnded(
        t,
        ended.map((s) => s.id),
      );
    });
  }

  /**
   * The principal behind a credential, or undefined when it is unknown, expired or revoked. Runs on every
   * authenticated request: one indexed join (queries.ts).
   */
  async authenticate(credential: Credential): Promise<Principal | undefined> {
    if (credential.scheme === 'streamTicket') return this.tickets.authenticate(credential.token);
    const now = this.clock.now();
    const hash = hashToken(credential.token);
    if (credential.scheme === 'apiKeyHeader') {
      const key = await findApiKeyUser(this.db, hash, now);
      if (!key) return undefined;
      // Recorded at most once a minute, without making the request wait for it.
      if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > 60_000) {
        void recordApiKeyUse(this.db, key.keyId, now).catch(() => undefined);
      }
      return this.principal(key, credential.scheme, 'api_key', key.keyId, key.expiresAt);
    }
    const session = await findSessionUser(this.db, credential.token, now);
    if (!session) return undefined;
    return this.principal(session, credential.scheme, 'session', session.sessionId, session.expiresAt);
  }

  /** Admin is read with the credential, so a grant or a revocation applies from the next request. */
  private principal(
    row: UserRow,
    scheme: CredentialScheme,
    method: Principal['method'],
    credentialId: string,
    expiresAt: Date | null,
  ): Principal {
    return { user: toUser(row), scheme, method, credentialId, expiresAt, isAdmin: row.isAdmin };
  }

  /**
   * Of these session and API key ids, the ones that no longer work (revoked, expired or gone): open streams
   * check theirs with this every keep-alive interval (src/realtime/credential-ends.ts).
   */
  async endedCredentials(ids: readonly string[]): Promise<string[]> {
    const now = this.clock.now();
    const live = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      for (const id of await liveCredentialIds(this.db, ids.slice(i, i + 1000), now)) live.add(id);
    }
    return ids.filter((id) => !live.has(id));
  }

  sessionInfo(principal: Principal): T.AuthSessionInfo {
    return {
      user: principal.user,
      expiresAt: principal.expiresAt?.toISOString() ?? null,
      authMethod: principal.method,
      isAdmin: principal.isAdmin,
    };
  }

  /** `made` is a key the operator chose (the demo data's documented keys); by default a new random one. */
  async createApiKey(
    principal: Principal,
    input: HandlerRequest<'createApiKey'>['body'],
    trx?: Transaction,
    made = newApiKey(),
  ): Promise<T.ApiKeyCreated> {
    const { key, prefix } = made;
    // One instant for both, so expiresAt is exactly createdAt plus expiresInDays days (as the contract says).
    const createdAt = this.clock.now();
    const expiresAt = new Date(createdAt.getTime() + input.expiresInDays * DAY_MS);
    return inTransaction(this.db, trx, async (t) => {
      // Lock the user so concurrent creations cannot both pass the limit.
      await User.query(t).findById(principal.user.id).forUpdate();
      const active = await this.activeKeys(ApiKey.query(t).where('userId', principal.user.id)).resultSize();
      if (active >= MAX_ACTIVE_API_KEYS) throw apiKeyLimit();
      const row = await ApiKey.query(t).insertAndFetch({
        userId: principal.user.id,
        name: input.name.trim(),
        prefix,
        keyHash: hashToken(key),
        createdAt,
        expiresAt,
      });
      return { ...toApiKey(row), key };
    });
  }

  async listApiKeys(principal: Principal): Promise<T.ApiKeyList> {
    const rows = await this.activeKeys(ApiKey.query(this.db).where('userId', principal.user.id)).orderBy([
      { column: 'createdAt', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
    return { apiKeys: rows.map(toApiKey) };
  }

  /** Revokes the key; the streams it opened end, on every instance, when this commits. */
  async deleteApiKey(principal: Principal, id: string, trx?: Transaction): Promise<void> {
    await inTransaction(this.db, trx, async (t) => {
      const revoked = await this.activeKeys(ApiKey.query(t).where({ id, userId: principal.user.id }))
        .patch({ revokedAt: this.clock.now() })
        .returning('id');
      if (revoked.length === 0) throw apiKeyNotFound();
      await announceCredentialsEnded(
        t,
        revoked.map((k) => k.id),
      );
    });
  }

  private activeKeys<Q extends ReturnType<typeof ApiKey.query>>(query: Q): Q {
    const now = this.clock.now();
    return query.whereNull('revokedAt').where((q) => q.whereNull('expiresAt').orWhere('expiresAt', '>', now)) as Q;
  }
}

// The auth area's plain-knex statements. The credential lookups run on every authenticated request, so each is
// one indexed join: Objection's graph join costs more CPU than the lookup itself (docs/benchmarks.md, "Why the
// hot paths look as they do"); the benchmark's bare servers run `findSessionUser` too. Also what other areas
// read of users (the public profile), and the stream tickets' statements.
import { firstRow, statement } from '../platform/rendered.js';
import type { Db } from '../platform/transactions.js';
import type { User } from './models.js';
import { hashToken } from './tokens.js';

/** Emails are compared trimmed and lower-cased: sign-up stores them so, sign-in and lookups compare them so. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The user columns a principal is made of. */
export type UserRow = Pick<User, 'id' | 'name' | 'email' | 'image' | 'isAdmin'>;

// --- Credentials ---

export type SessionUser = Pick<User, 'id' | 'name' | 'email' | 'image' | 'isAdmin'> & {
  sessionId: string;
  expiresAt: Date;
};

/**
 * The live (unrevoked, unexpired at `now`) session with a token's hash ($1, at $2), and its user: compiled
 * once, as every authenticated request runs it (the benchmark's limit server too).
 */
export const SESSION_USER_STATEMENT = statement(
  'auth_session_user',
  `select u.id, u.name, u.email, u.image, u.is_admin as "isAdmin", s.id as "sessionId", s.expires_at as "expiresAt"
  from auth_sessions s join users u on u.id = s.user_id
  where s.token_hash = $1::text and s.revoked_at is null and s.expires_at > $2::timestamptz
  limit 1`,
);

/** The live (unrevoked, unexpired at `now`) session with this token, and its user. */
export function findSessionUser(db: Db, token: string, now: Date): Promise<SessionUser | undefined> {
  return firstRow<SessionUser>(db, SESSION_USER_STATEMENT, [hashToken(token), now]);
}

export type ApiKeyUser = UserRow & { keyId: string; expiresAt: Date | null; lastUsedAt: Date | null };

/** The live (unrevoked, unexpired at `now`) API key with this hash, and its user. */
export function findApiKeyUser(db: Db, keyHash: string, now: Date): Promise<ApiKeyUser | undefined> {
  return db('api_keys as k')
    .join('users as u', 'u.id', 'k.userId')
    .where('k.keyHash', keyHash)
    .whereNull('k.revokedAt')
    .where((q) => q.whereNull('k.expiresAt').orWhere('k.expiresAt', '>', now))
    .first<ApiKeyUser | undefined>(
      'u.id',
      'u.name',
      'u.email',
      'u.image',
      'u.isAdmin',
      'k.id as keyId',
      'k.expiresAt',
      'k.lastUsedAt',
    );
}

export async function recordApiKeyUse(db: Db, keyId: string, now: Date): Promise<void> {
  await db('api_keys').where('id', keyId).update({ lastUsedAt: now });
}

/** Of these session and API key ids (at most 1000), the ones still live at `now`. */
export async function liveCredentialIds(db: Db, ids: readonly string[], now: Date): Promise<string[]> {
  const rows = (await db('auth_sessions')
    .select('id')
    .whereIn('id', ids)
    .whereNull('revokedAt')
    .where('expiresAt', '>', now)
    .unionAll((q) =>
      q
        .select('id')
        .from('api_keys')
        .whereIn('id', ids)
        .whereNull('revokedAt')
        .where((e) => e.whereNull('expiresAt').orWhere('expiresAt', '>', now)),
    )) as Array<{ id: string }>;
  return rows.map((row) => row.id);
}

// --- Public profiles, for other areas ---
export interface UserProfile {
  id: string;
  name: string;
  image: string | null;
}

export const userProfiles = (db: Db) => db('users').select('id', 'name', 'image');

/** The same read as SQL text, for statements compiled once (src/platform/rendered.ts) to join as a subquery. */
export const USER_PROFILES_SQL = 'select id, name, image from users';

export async function findUserProfile(db: Db, id: string): Promise<UserProfile | undefined> {
  return (await userProfiles(db).where('id', id))[0] as UserProfile | undefined;
}

/** The account with this email (compared as sign-in compares it), if any. */
export async function findUserProfileByEmail(db: Db, email: string): Promise<UserProfile | undefined> {
  return (await userProfiles(db).where('email', normalizeEmail(email)))[0] as UserProfile | undefined;
}

// --- Stream tickets (src/auth/stream-tickets.ts) ---

export interface TicketRow {
  id: string;
  roomId: string;
  credentialKind: 'session' | 'api_key';
  credentialId: string;
}

/** The user columns a principal is made of, with the issuing credential's expiry. */
export type TicketParent = UserRow & { expiresAt: Date | null };

/** The user's spent tickets go as they ask for new ones: the table holds live tickets and few others. */
export async function deleteSpentTickets(db: Db, userId: string, now: Date): Promise<void> {
  await db('stream_tickets').where('userId', userId).where('expiresAt', '<', now).delete();
}

export async function insertTicket(
  db: Db,
  ticket: Omit<TicketRow, 'id'> & { tokenHash: string; userId: string; expiresAt: Date },
): Promise<void> {
  await db('stream_tickets').insert(ticket);
}

/** Redeems a live ticket: pushes its expiry to `expiresAt` in the same statement (instances racing on it agree). */
export async function redeemTicket(
  db: Db,
  tokenHash: string,
  now: Date,
  expiresAt: Date,
): Promise<TicketRow | undefined> {
  const [row] = (await db('stream_tickets')
    .where('tokenHash', tokenHash)
    .where('expiresAt', '>', now)
    .update({ expiresAt }, ['id', 'roomId', 'credentialKind', 'credentialId'])) as TicketRow[];
  return row;
}

/** The user behind a ticket's credential, while that session or key is live. */
export function findTicketParent(db: Db, ticket: TicketRow, now: Date): Promise<TicketParent | undefined> {
  return db(ticket.credentialKind === 'session' ? 'auth_sessions as c' : 'api_keys as c')
    .join('users as u', 'u.id', 'c.userId')
    .where('c.id', ticket.credentialId)
    .whereNull('c.revokedAt')
    .where((q) => q.whereNull('c.expiresAt').orWhere('c.expiresAt', '>', now))
    .first<TicketParent | undefined>('u.id', 'u.name', 'u.email', 'u.image', 'u.isAdmin', 'c.expiresAt');
}

/** Pushes on the expiry of these tickets, those not expired already (an ended one stays ended). */
export async function extendTickets(db: Db, ids: readonly string[], now: Date, expiresAt: Date): Promise<void> {
  await db('stream_tickets').whereIn('id', ids).where('expiresAt', '>', now).update({ expiresAt });
}

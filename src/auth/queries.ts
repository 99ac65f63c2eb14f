// The auth area's hot-path read: the user behind a session token, one indexed join in plain knex, run on every
// authenticated request. AuthService.authenticate runs it, and so do the benchmark's bare servers.
import type { Db } from '../platform/transactions.js';
import type { User } from './models.js';
import { hashToken } from './tokens.js';

export type SessionUser = Pick<User, 'id' | 'name' | 'email' | 'image' | 'isAdmin'> & {
  sessionId: string;
  expiresAt: Date;
};

/** The live (unrevoked, unexpired at `now`) session with this token, and its user. */
export function findSessionUser(db: Db, token: string, now: Date): Promise<SessionUser | undefined> {
  return db('auth_sessions as s')
    .join('users as u', 'u.id', 's.userId')
    .where('s.tokenHash', hashToken(token))
    .whereNull('s.revokedAt')
    .where('s.expiresAt', '>', now)
    .first<SessionUser | undefined>(
      'u.id',
      'u.name',
      'u.email',
      'u.image',
      'u.isAdmin',
      's.id as sessionId',
      's.expiresAt',
    );
}

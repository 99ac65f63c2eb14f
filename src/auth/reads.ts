// What other areas read of users: the public profile (id, name, image). `userProfiles` is the relation to join
// (`.join(userProfiles(db).as('u'), 'u.id', ...)`): PostgreSQL flattens it, so the plan is the plain join's.
import type { Db } from '../platform/transactions.js';
import { normalizeEmail } from './service.js';

export interface UserProfile {
  id: string;
  name: string;
  image: string | null;
}

export const userProfiles = (db: Db) => db('users').select('id', 'name', 'image');

export async function findUserProfile(db: Db, id: string): Promise<UserProfile | undefined> {
  return (await userProfiles(db).where('id', id))[0] as UserProfile | undefined;
}

/** The account with this email (compared as sign-in compares it), if any. */
export async function findUserProfileByEmail(db: Db, email: string): Promise<UserProfile | undefined> {
  return (await userProfiles(db).where('email', normalizeEmail(email)))[0] as UserProfile | undefined;
}

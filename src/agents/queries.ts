// The agents area's plain-knex statements: what other areas read of agent listings. `listingSummaries` is the relation to join
// (`.join(listingSummaries(db).as('l'), 'l.id', ...)`): PostgreSQL flattens it, so the plan is the plain join's.
import type { Knex } from 'knex';
import type { AnyQueryBuilder } from 'objection';
import type { Db } from '../platform/transactions.js';

export interface ListingSummary {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  avatarUrl: string | null;
  model: string;
  instructions: string | null;
  isPublic: boolean;
}

export const listingSummaries = (db: Db) =>
  db('agent_listings').select('id', 'ownerId', 'name', 'description', 'avatarUrl', 'model', 'instructions', 'isPublic');

export async function findListing(db: Db, id: string): Promise<ListingSummary | undefined> {
  return (await listingSummaries(db).where('id', id))[0] as ListingSummary | undefined;
}

/** Public listings and the user's own, by name, at most `limit`, leaving out the ids `except` selects. */
export async function listingsUsableBy(
  db: Db,
  userId: string,
  except: Knex.QueryBuilder,
  limit: number,
): Promise<ListingSummary[]> {
  return (await listingSummaries(db)
    .where((w) => w.where('isPublic', true).orWhere('ownerId', userId))
    .whereNotIn('id', except)
    .orderByRaw('lower(name), id')
    .limit(limit)) as ListingSummary[];
}

/** A subquery of the ids of the user's listings, for `whereIn(column, ...)`. */
export const listingIdsOwnedBy =
  (userId: string) =>
  (q: Knex.QueryBuilder | AnyQueryBuilder): void => {
    (q as Knex.QueryBuilder).select('id').from('agent_listings').where('ownerId', userId);
  };

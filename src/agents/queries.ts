// The agents area's plain-knex statements: what other areas read of agent listings. `listingSummaries` is the relation to join
// (`.join(listingSummaries(db).as('l'), 'l.id', ...)`): PostgreSQL flattens it, so the plan is the plain join's.
// And the listings browse, one statement returning the body's JSON (src/platform/rendered.ts).
import type { Knex } from 'knex';
import type { AnyQueryBuilder } from 'objection';
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { isoTime, pageFields, type Rendered, renderPage, type Statement, statement } from '../platform/rendered.js';
import { containsPattern } from '../platform/search.js';
import type { Db } from '../platform/transactions.js';

/**
 * The listings a viewer ($1) may see (public ones and their own; with `mine`, their own only), newest first, with
 * the exact total ($2 limit, $3 offset, $4 page, then the name pattern when given): an AgentListingList's JSON
 * text. `instructions` (the system prompt) is shown to the owner only. json_agg reads the page from a sorted
 * subquery, which keeps its order.
 */
function listingBrowseStatement(mine: boolean, bySearch: boolean): Statement {
  const where =
    (mine ? 'a.owner_id = $1::uuid' : '(a.is_public or a.owner_id = $1::uuid)') +
    (bySearch ? ' and a.name ilike $5::text' : '');
  return statement(
    `agents_browse${mine ? '_mine' : ''}${bySearch ? '_search' : ''}`,
    `select '{"listings":' || coalesce((
        select json_agg(r)::text from (
          select a.id, a.owner_id as "ownerId", a.name, a.description, a.avatar_url as "avatarUrl", a.model,
            case when a.owner_id = $1::uuid then a.instructions end as instructions, a.is_public as "isPublic",
            ${isoTime('a.created_at')} as "createdAt", ${isoTime('a.updated_at')} as "updatedAt"
          from agent_listings a where ${where}
          order by a.created_at desc, a.id desc limit $2::int offset $3::bigint
        ) r), '[]')
      || ${pageFields('$2', '$4')}
      || '}'
    from (select count(*) as total from agent_listings a where ${where}) t`,
  );
}

const LISTING_BROWSE_STATEMENTS = [
  [listingBrowseStatement(false, false), listingBrowseStatement(false, true)],
  [listingBrowseStatement(true, false), listingBrowseStatement(true, true)],
] as const;

export async function renderListingBrowse(
  db: Db,
  viewerId: string,
  query: HandlerRequest<'listAgentListings'>['query'],
): Promise<Rendered<T.AgentListingList>> {
  const { page, limit } = query;
  const search = containsPattern(query.search);
  const values: unknown[] = [viewerId, limit, (page - 1) * limit, page];
  if (search) values.push(search);
  return renderPage<T.AgentListingList>(db, LISTING_BROWSE_STATEMENTS[query.mine ? 1 : 0][search ? 1 : 0], values);
}

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

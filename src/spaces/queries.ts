// The spaces area's hot-path reads and its insert. The browse and the detail are statements compiled once that
// return the response body as JSON text (src/platform/rendered.ts): SpacesService runs them, and so does the
// benchmark's limit server (scripts/bench/limit-server.ts). The same reads in plain knex, mapped to objects in
// JavaScript (listPublicSpaces, spaceDetail), are what the benchmark's bare server runs (scripts/bench/bare-spaces.ts):
// the hand-written Koa + knex baseline, held to the same JSON values by the bench's check before it measures.
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { findUserProfile, USER_PROFILES_SQL } from '../auth/index.js';
import type { PageQuery } from '../platform/pages.js';
import {
  type BoundStatement,
  isoTime,
  pageFields,
  type Rendered,
  renderOne,
  renderPage,
  sizedStatement,
  statement,
} from '../platform/rendered.js';
import { containsPattern } from '../platform/search.js';
import type { Db } from '../platform/transactions.js';
import { isVisibleTo } from '../platform/visibility.js';
import { SPACE_COLUMNS, type SpaceRecord, type SpaceSession } from './models.js';
import { toSession, toSpaceRow } from './wire.js';

export interface SpaceListQuery extends PageQuery {
  search?: string;
  category?: string;
}

/** The sessions a space's detail embeds: its newest, the first page of listSpaceSessions at its default. */
const DETAIL_SESSIONS = 20;

/** A SpaceRow's fields as the JSON's names, from the spaces row aliased `s`. */
const SPACE_ROW_JSON = `s.id, s.owner_id as "ownerId", s.name, s.description, s.category, s.tags, s.definition,
  s.is_public as "isPublic", ${isoTime('s.created_at')} as "createdAt", ${isoTime('s.updated_at')} as "updatedAt"`;

/**
 * The browse as one statement per shape of filter ($1 limit, $2 offset, $3 page, then the category and the name
 * pattern when given): a SpaceList's JSON text. Without a search `total` is the maintained counter row, with one a
 * count. json_agg reads the page from a sorted subquery, which keeps its order (no join or grouping above it).
 * The first page without a search, where nearly every browse starts, is its own statement per page size
 * (sizedStatement: `size` rows cut to `limit`; no offset or page among the values, so the category is $2). A
 * search keeps one statement for every page: what it costs is the match and its count, which a page size does
 * not change (docs/benchmarks.md, "Page sizes in the statement").
 */
function spaceListText(byCategory: boolean, bySearch: boolean, size?: number): string {
  let n = size === undefined ? 3 : 1;
  const filters = ['s.is_public'];
  const category = byCategory ? `$${++n}::text` : `''`;
  if (byCategory) filters.push(`s.category = ${category}`);
  if (bySearch) filters.push(`s.name ilike $${++n}::text`);
  const where = filters.join(' and ');
  const total = bySearch
    ? `(select count(*) from spaces s where ${where})`
    : `coalesce((select c.count from space_public_counts c where c.category = ${category}), 0)`;
  const order = 'order by s.created_at desc, s.id desc';
  const rows =
    size === undefined
      ? `select ${SPACE_ROW_JSON} from spaces s where ${where} ${order} limit $1::int offset $2::bigint`
      : `select * from (select ${SPACE_ROW_JSON} from spaces s where ${where} ${order} limit ${size}) r limit $1::int`;
  return `select '{"spaces":' || coalesce((select json_agg(r)::text from (${rows}) r), '[]')
      || ${pageFields('$1', size === undefined ? '$3' : '1')}
      || '}'
    from (select ${total} as total) t`;
}

const list = (byCategory: boolean, bySearch: boolean) =>
  statement(
    `spaces_list${byCategory ? '_category' : ''}${bySearch ? '_search' : ''}`,
    spaceListText(byCategory, bySearch),
  );

/** The browse's statements, by `[category given][search given]`. */
const SPACE_LIST_STATEMENTS = [
  [list(false, false), list(false, true)],
  [list(true, false), list(true, true)],
] as const;

/** The first page without a search, by `[category given]`. */
const FIRST_PAGE_STATEMENTS = [
  sizedStatement('spaces_list_first', (size) => spaceListText(false, false, size)),
  sizedStatement('spaces_list_category_first', (size) => spaceListText(true, false, size)),
] as const;

/** The statement and its values for one browse request. */
export function spaceListQuery(query: SpaceListQuery): BoundStatement {
  const { page, limit } = query;
  const search = containsPattern(query.search);
  const first = page === 1 && !search;
  const values: unknown[] = first ? [limit] : [limit, (page - 1) * limit, page];
  if (query.category !== undefined) values.push(query.category);
  if (search) values.push(search);
  const byCategory = query.category !== undefined ? 1 : 0;
  return {
    sql: first ? FIRST_PAGE_STATEMENTS[byCategory](limit) : SPACE_LIST_STATEMENTS[byCategory][search ? 1 : 0],
    values,
  };
}

/** Public spaces, newest first, as the SpaceList's JSON text rendered by PostgreSQL. */
export async function renderSpaceList(db: Db, query: SpaceListQuery): Promise<Rendered<T.SpaceList>> {
  const { sql, values } = spaceListQuery(query);
  return renderPage<T.SpaceList>(db, sql, values);
}

/**
 * A space's detail ($1 the space, $2 the viewer): its row, its owner's public profile, its newest sessions (the
 * first page of listSpaceSessions) and their count; no row when the viewer may not see it (the visibility rule of
 * platform/visibility.ts, in SQL: public, or the viewer's own).
 */
export const SPACE_DETAIL_STATEMENT = statement(
  'spaces_detail',
  `select row_to_json(d)::text from (
    select ${SPACE_ROW_JSON},
      (select row_to_json(o) from (select u.id, u.name, u.image) o) as owner,
      coalesce((
        select json_agg(x) from (
          select ss.id, ss.space_id as "playgroundId", ss.status,
            (select count(*) from space_participants p where p.session_id = ss.id and p.is_connected)
              as "participantCount",
            ss.created_by as "createdBy", ${isoTime('ss.created_at')} as "createdAt",
            ${isoTime('ss.updated_at')} as "updatedAt"
          from space_sessions ss where ss.space_id = s.id
          order by ss.created_at desc, ss.id desc limit ${DETAIL_SESSIONS}
        ) x), '[]') as sessions,
      (select count(*) from space_sessions c where c.space_id = s.id) as "sessionCount"
    from spaces s join (${USER_PROFILES_SQL}) u on u.id = s.owner_id
    where s.id = $1::uuid and (s.is_public or s.owner_id = $2::uuid)
  ) d`,
);

/** The space's detail as SpaceDetail's JSON text; undefined when this user may not see it. */
export async function renderSpaceDetail(
  db: Db,
  userId: string,
  id: string,
): Promise<Rendered<T.SpaceDetail> | undefined> {
  return renderOne<T.SpaceDetail>(db, SPACE_DETAIL_STATEMENT, [id, userId]);
}

/** Public spaces, newest first. `total` is exact: a maintained counter without a search, a count with one. */
export async function listPublicSpaces(db: Db, query: SpaceListQuery): Promise<T.SpaceList> {
  const { page, limit } = query;
  const search = containsPattern(query.search);
  const filtered = db('spaces').where('isPublic', true);
  if (query.category !== undefined) filtered.where('category', query.category);
  if (search) filtered.whereILike('name', search);

  const totalQuery = search
    ? filtered.clone().count<{ count: number }[]>({ count: '*' })
    : db('space_public_counts')
        .select('count')
        .where('category', query.category ?? '');
  const [rows, totals] = await Promise.all([
    filtered
      .clone()
      .select(SPACE_COLUMNS)
      .orderBy([
        { column: 'createdAt', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit)
      .offset((page - 1) * limit),
    totalQuery,
  ]);
  const total = Number((totals as Array<{ count: number | string }>)[0]?.count ?? 0);
  return { spaces: (rows as SpaceRecord[]).map(toSpaceRow), total, page, totalPages: Math.ceil(total / limit) };
}

/** A new space as the validator hands it over: the contract's defaults are already filled in. */
export type SpaceInput = HandlerRequest<'createSpace'>['body'];

/**
 * The insert returning the new SpaceRow's JSON text, compiled once ($1 owner, $2 name, $3 description, $4 category,
 * $5 tags, $6 definition, $7 isPublic): the body createSpace answers, with no row parsed or stringified here.
 */
const INSERT_SPACE_STATEMENT = statement(
  'spaces_insert',
  `with s as (
    insert into spaces (owner_id, name, description, category, tags, definition, is_public)
    values ($1::uuid, $2::text, $3::text, $4::text, $5::text[], $6::jsonb, $7::boolean)
    returning *)
  select row_to_json(r)::text from (select ${SPACE_ROW_JSON} from s) r`,
);

/** A new space, in one statement that writes it and renders the body. */
export async function renderInsertedSpace(db: Db, ownerId: string, input: SpaceInput): Promise<Rendered<T.SpaceRow>> {
  const values = [
    ownerId,
    input.name.trim(),
    input.description ?? null,
    input.category ?? null,
    input.tags,
    JSON.stringify(input.definition ?? {}),
    input.isPublic,
  ];
  // renderPage: a statement that always returns its row (no row is a bug, thrown).
  return renderPage<T.SpaceRow>(db, INSERT_SPACE_STATEMENT, values);
}

/** The same insert in plain knex, the row mapped in JavaScript: what the benchmark's bare server runs. */
export async function insertSpace(db: Db, ownerId: string, input: SpaceInput): Promise<T.SpaceRow> {
  const [row] = await db('spaces')
    .insert({
      ownerId,
      name: input.name.trim(),
      description: input.description ?? null,
      category: input.category ?? null,
      tags: input.tags,
      definition: JSON.stringify(input.definition ?? {}),
      isPublic: input.isPublic,
    })
    .returning(SPACE_COLUMNS);
  return toSpaceRow(row as SpaceRecord);
}

/** The space, if this user may see it (platform/visibility.ts). */
export async function findVisibleSpace(db: Db, userId: string, id: string): Promise<SpaceRecord | undefined> {
  const space = await db('spaces').where('id', id).first<SpaceRecord | undefined>(SPACE_COLUMNS);
  return space && isVisibleTo(space, userId) ? space : undefined;
}

/** The space with its owner, its newest sessions and their count; undefined when this user may not see it. */
export async function spaceDetail(db: Db, userId: string, id: string): Promise<T.SpaceDetail | undefined> {
  const space = await findVisibleSpace(db, userId, id);
  if (!space) return undefined;
  const [owner, sessions, count] = await Promise.all([
    findUserProfile(db, space.ownerId),
    sessionsOf(db, id, { page: 1, limit: DETAIL_SESSIONS }),
    sessionCount(db, id),
  ]);
  if (!owner) return undefined;
  return {
    ...toSpaceRow(space),
    owner: { id: owner.id, name: owner.name, image: owner.image },
    sessions,
    sessionCount: count,
  };
}

/** One page of a space's sessions, newest first (space_sessions_space_idx serves the order). */
export async function sessionsOf(db: Db, spaceId: string, { page, limit }: PageQuery): Promise<T.SpaceSession[]> {
  const connected = db('space_participants as p')
    .count('*')
    .where('p.sessionId', db.ref('s.id'))
    .where('p.isConnected', true);
  const sessions = await db('space_sessions as s')
    .where('s.spaceId', spaceId)
    .select(
      's.id',
      's.spaceId',
      's.status',
      's.createdBy',
      's.createdAt',
      's.updatedAt',
      connected.as('participantCount'),
    )
    .orderBy([
      { column: 's.createdAt', order: 'desc' },
      { column: 's.id', order: 'desc' },
    ])
    .limit(limit)
    .offset((page - 1) * limit);
  return (sessions as SpaceSession[]).map(toSession);
}

export async function sessionCount(db: Db, spaceId: string): Promise<number> {
  const [row] = await db('space_sessions')
    .where('spaceId', spaceId)
    .count<{ count: number | string }[]>({ count: '*' });
  return Number(row?.count ?? 0);
}

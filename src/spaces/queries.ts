// The spaces area's hot-path reads and its insert, in plain knex, mapped to the contract's JSON. SpacesService
// runs them, and so does the benchmark's bare server (scripts/bench/bare-spaces.ts): both run this code, so the
// bench compares the HTTP stacks over the same statements.
import type { HandlerRequest } from '../../generated/server/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import { findUserProfile } from '../auth/index.js';
import type { PageQuery } from '../platform/pages.js';
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

/** One statement: the insert returns the row (Objection would add an insert-then-select). */
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

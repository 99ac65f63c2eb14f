// The official area's statements in plain knex and raw SQL (it has no Objection models): the customer-service
// queue's page and business verification requests.
import type * as T from '../../generated/server/schemas.gen.js';
import { USER_PROFILES_SQL } from '../auth/index.js';
import { COMMUNITIES_SQL, communityNames, MEMBER_ROLES_SQL } from '../communities/index.js';
import { CONVERSATIONS_SQL, queueRows, STAFF_ROLES_SQL, type ConversationStatus } from '../conversations/index.js';
import type { PageQuery } from '../platform/pages.js';
import {
  type BoundStatement,
  type Checked,
  isoTime,
  renderChecked,
  sizedStatement,
  type Statement,
} from '../platform/rendered.js';
import type { Db, Transaction } from '../platform/transactions.js';
import {
  QUEUE_CURSOR_VERSION,
  QUEUE_PRIORITY,
  encodeQueueCursor,
  queuePrioritySql,
  waitingSinceSql,
  type QueuePosition,
} from './queue-cursor.js';

// The CS queue: the hot-path read, a page of the customer-service queue (the order, the cursor and the index
// behind them: queue-cursor.ts). OfficialService.queue runs it as one statement returning the body's JSON
// (src/platform/rendered.ts), its cursor included; csQueuePage, the same read in plain knex mapped in JavaScript,
// is what the benchmark's bare server runs (scripts/bench/bare-cs.ts): the hand-written baseline.

export interface CsQueueQuery {
  status?: ConversationStatus;
  limit: number;
  after?: QueuePosition;
}

/**
 * A page of the queue for a reader, with the read check, as one statement per shape ($1 the community, $2 limit,
 * $3 the reader, then the status and its priority when filtered, then the cursor's priority, waiting time and id
 * when given). Its row: the verdict (`ok`; `not_found`: no such community; `not_official`; `not_staff`: the reader
 * is not one of its STAFF_ROLES), and when ok a CsQueue's JSON text. One round trip where the community, role and
 * page reads were three. It reads up to the page size's + 1 rows (sizedStatement), as csQueuePage reads
 * `limit + 1`, to know whether there is a next page; `nextCursor` is the last entry's
 * position encoded as encodeQueueCursor writes it (base64url of the JSON array, no padding: PostgreSQL's base64
 * with `+/` mapped to `-_`, its padding and line breaks dropped), so cursors from either read are the same text.
 */
function csQueueStatement(byStatus: boolean, after: boolean): (limit: number) => Statement {
  const priority = queuePrioritySql('c.status');
  let n = 3;
  const filters = ['c.community_id = $1::uuid'];
  let statusJson = `'null'`;
  if (byStatus) {
    const status = ++n;
    // The priority equality lets the index range over one status; the status test is what it means.
    filters.push(`${priority} = $${++n}::int`, `c.status = $${status}::text`);
    statusJson = `to_json($${status}::text)::text`;
  }
  if (after) filters.push(`(${priority}, c.updated_at, c.id) > ($${++n}::int, $${++n}::timestamptz, $${++n}::uuid)`);
  const order = `${priority}, c.updated_at, c.id`;
  return sizedStatement(
    `official_cs_queue${byStatus ? '_status' : ''}${after ? '_after' : ''}`,
    (size) => `with verdict as (
      select case
        when not exists (select from (${COMMUNITIES_SQL}) x where x.id = $1::uuid) then 'not_found'
        when not exists (select from (${COMMUNITIES_SQL}) x where x.id = $1::uuid and x.type = 'official')
          then 'not_official'
        when not exists (
          select from (${MEMBER_ROLES_SQL}) m
          where m.community_id = $1::uuid and m.user_id = $3::uuid and m.role in (${STAFF_ROLES_SQL})
        ) then 'not_staff'
        else 'ok' end as verdict
    ), page as (
      select c.id, c.id as "conversationId", c.customer_id as "userId", c.status, c.assigned_cs_id as "assignedCsId",
        u.name as "userName", u.image as "userImage", ${isoTime('c.created_at')} as "createdAt",
        ${isoTime('c.updated_at')} as "updatedAt", ${priority} as priority,
        ${waitingSinceSql('c.updated_at')} as waiting_since, row_number() over (order by ${order}) as n
      from (${CONVERSATIONS_SQL}) c join (${USER_PROFILES_SQL}) u on u.id = c.customer_id
      where ${filters.join(' and ')}
      order by ${order} limit ${size + 1}
    )
    select v.verdict, case when v.verdict = 'ok' then '{"queue":' || coalesce((
        select json_agg(r)::text from (
          select q.id, q."conversationId", q."userId", q.status, q."assignedCsId", q."userName", q."userImage",
            q."createdAt", q."updatedAt"
          from page q where q.n <= $2::int order by q.n
        ) r), '[]')
      || ',"nextCursor":' || coalesce((
        select '"' || translate(
            encode(convert_to(
              '[${QUEUE_CURSOR_VERSION},' || ${statusJson} || ',' || q.priority || ',"' || q.waiting_since || '","' || q.id || '"]',
              'UTF8'), 'base64'),
            '+/=' || chr(10), '-_') || '"'
        from page q where q.n = $2::int and exists (select from page x where x.n > $2::int)), 'null')
      || '}' end
    from verdict v`,
  );
}

/** The queue's statements, by `[status given][cursor given]`. */
const CS_QUEUE_STATEMENTS = [
  [csQueueStatement(false, false), csQueueStatement(false, true)],
  [csQueueStatement(true, false), csQueueStatement(true, true)],
] as const;

/** The statement and values of a reader's queue page (the benchmark's limit server sends them as they are). */
export function csQueuePageQuery(communityId: string, readerId: string, query: CsQueueQuery): BoundStatement {
  const { status, limit, after } = query;
  const values: unknown[] = [communityId, limit, readerId];
  if (status) values.push(status, QUEUE_PRIORITY[status]);
  if (after) values.push(after.priority, after.waitingSince, after.id);
  return { sql: CS_QUEUE_STATEMENTS[status ? 1 : 0][after ? 1 : 0](limit), values };
}

/** A page of the CS queue as the CsQueue's JSON text rendered by PostgreSQL, if `readerId` is its staff. */
export function renderCsQueuePage(
  db: Db,
  communityId: string,
  readerId: string,
  query: CsQueueQuery,
): Promise<Checked<T.CsQueue, 'not_found' | 'not_official' | 'not_staff'>> {
  const { sql, values } = csQueuePageQuery(communityId, readerId, query);
  return renderChecked(db, sql, values);
}

/** The same page in plain knex, mapped in JavaScript: the bare server's baseline (the service renders it). */
export async function csQueuePage(db: Db, communityId: string, query: CsQueueQuery): Promise<T.CsQueue> {
  const { status, limit, after } = query;
  const priority = queuePrioritySql('c.status');
  const rows = queueRows(db, communityId)
    .select(
      'c.id',
      'c.id as conversationId',
      'c.customerId as userId',
      'c.status',
      'c.assignedCsId',
      'u.name as userName',
      'u.image as userImage',
      'c.createdAt',
      'c.updatedAt',
      db.raw(`${waitingSinceSql('c.updated_at')} as waiting_since`),
    )
    .orderByRaw(`${priority}, c.updated_at asc, c.id asc`)
    .limit(limit + 1);
  // The priority equality lets the index range over one status; the status test is what it means.
  if (status) rows.whereRaw(`${priority} = ?`, [QUEUE_PRIORITY[status]]).where('c.status', status);
  if (after)
    rows.whereRaw(`(${priority}, c.updated_at, c.id) > (?::int, ?::timestamptz, ?::uuid)`, [
      after.priority,
      after.waitingSince,
      after.id,
    ]);
  const page = (await rows) as Array<
    Omit<T.CsQueueEntry, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date; waitingSince: string }
  >;
  const entries = page.slice(0, limit);
  const last = entries.at(-1);
  return {
    queue: entries.map(({ waitingSince: _w, ...e }) => ({
      ...e,
      createdAt: e.createdAt.toISOString(),
      updatedAt: e.updatedAt.toISOString(),
    })),
    nextCursor:
      page.length > limit && last
        ? encodeQueueCursor(status, {
            priority: QUEUE_PRIORITY[last.status],
            waitingSince: last.waitingSince,
            id: last.id,
          })
        : null,
  };
}

// Business verification requests: the creator requests one (OfficialService), communities asks whether one is
// pending, admin lists and reviews them (the community's verified flag is the communities area's, set by admin).
interface RequestRow {
  id: string;
  communityId: string;
  requesterId: string;
  businessName: string | null;
  businessRegistration: string | null;
  documentsUrl: string | null;
  status: T.VerificationRequest['status'];
  reviewerNotes: string | null;
  communityName: string;
  createdAt: Date;
  reviewedAt: Date | null;
}

const toRequest = (r: RequestRow): T.VerificationRequest => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  reviewedAt: r.reviewedAt?.toISOString() ?? null,
});

/**
 * Records a creator's request, pending. A second pending request for the community fails on its unique index:
 * run it in a savepoint, whose failure the caller turns into 409.
 */
export async function insertVerificationRequest(
  sp: Transaction,
  request: {
    communityId: string;
    requesterId: string;
    businessName: string | null;
    businessRegistration: string | null;
    documentsUrl: string | null;
    createdAt: Date;
  },
): Promise<string> {
  const [row] = await sp('verification_requests').insert(request).returning('id');
  return (row as { id: string }).id;
}

export async function hasPendingVerification(db: Db, communityId: string): Promise<boolean> {
  return !!(await db('verification_requests').where({ communityId, status: 'pending' }).first('id'));
}

/** A page of requests, newest first, with their community's name. */
export async function listVerificationRequests(
  db: Db,
  query: PageQuery & { status?: T.VerificationRequest['status'] },
): Promise<T.VerificationRequestList> {
  const { page, limit, status } = query;
  const matching = db('verification_requests as r');
  if (status) matching.where('r.status', status);
  const [rows, [counted]] = await Promise.all([
    matching
      .clone()
      .join(communityNames(db).as('c'), 'c.id', 'r.communityId')
      .select(
        'r.id',
        'r.communityId',
        'r.requesterId',
        'r.businessName',
        'r.businessRegistration',
        'r.documentsUrl',
        'r.status',
        'r.reviewerNotes',
        'c.name as communityName',
        'r.createdAt',
        'r.reviewedAt',
      )
      .orderBy([
        { column: 'r.createdAt', order: 'desc' },
        { column: 'r.id', order: 'desc' },
      ])
      .limit(limit)
      .offset((page - 1) * limit),
    matching.clone().count<{ count: number | string }[]>({ count: '*' }),
  ]);
  const total = Number(counted?.count ?? 0);
  return { requests: (rows as RequestRow[]).map(toRequest), total, page, totalPages: Math.ceil(total / limit) };
}

/**
 * Records a decision on a pending request. Conditional on `pending`: of two concurrent reviews, the second
 * updates nothing. Returns the request's community, or why nothing was decided.
 */
export async function reviewVerificationRequest(
  trx: Transaction,
  id: string,
  decision: {
    status: T.VerificationRequestReview['status'];
    reviewerNotes: string | null;
    reviewerId: string;
    reviewedAt: Date;
  },
): Promise<{ communityId: string } | 'not-found' | 'already-reviewed'> {
  const updated = await trx('verification_requests')
    .where({ id, status: 'pending' })
    .update(decision)
    .returning('communityId');
  if (updated.length > 0) return updated[0] as { communityId: string };
  return (await trx('verification_requests').where('id', id).first('id')) ? 'already-reviewed' : 'not-found';
}

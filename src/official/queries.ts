// The official area's statements in plain knex and raw SQL (it has no Objection models): the customer-service
// queue's page and business verification requests.
import type * as T from '../../generated/server/schemas.gen.js';
import { communityNames } from '../communities/index.js';
import { queueRows, type ConversationStatus } from '../conversations/index.js';
import type { PageQuery } from '../platform/pages.js';
import type { Db, Transaction } from '../platform/transactions.js';
import {
  QUEUE_PRIORITY,
  encodeQueueCursor,
  queuePrioritySql,
  waitingSinceSql,
  type QueuePosition,
} from './queue-cursor.js';

// The CS queue: the hot-path read, a page of the customer-service queue in plain knex (the order, the cursor and
// the index behind them: queue-cursor.ts). OfficialService.queue runs it, and so does the benchmark's bare
// server (scripts/bench/bare-cs.ts).
export async function csQueuePage(
  db: Db,
  communityId: string,
  query: { status?: ConversationStatus; limit: number; after?: QueuePosition },
): Promise<T.CsQueue> {
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

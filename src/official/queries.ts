// The official area's hot-path read: a page of the customer-service queue, in plain knex (the order, the cursor
// and the index behind them: queue-cursor.ts). OfficialService.queue runs it, and so does the benchmark's bare
// server (scripts/bench/bare-cs.ts).
import type * as T from '../../generated/server/schemas.gen.js';
import { queueRows, type ConversationStatus } from '../conversations/index.js';
import type { Db } from '../platform/transactions.js';
import {
  QUEUE_PRIORITY,
  encodeQueueCursor,
  queuePrioritySql,
  waitingSinceSql,
  type QueuePosition,
} from './queue-cursor.js';

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

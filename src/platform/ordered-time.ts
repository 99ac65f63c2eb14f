// Message histories page by a `createdAt` cursor, so `createdAt` must be strictly increasing within each
// history (a community, a conversation). A counter column on the owning row, updated under its row lock in
// the message's transaction, gives the next time: now, or 1 ms after the previous message if that is later.
import type { Transaction } from './transactions.js';

export async function nextMessageTime(trx: Transaction, table: string, id: string, now: Date): Promise<Date> {
  const [row] = await trx(table)
    .where('id', id)
    .update({
      lastMessageAt: trx.raw(
        `greatest(?::timestamptz, coalesce(last_message_at, ?::timestamptz) + interval '1 millisecond')`,
        [now, new Date(0)],
      ),
    })
    .returning('lastMessageAt');
  return (row as { lastMessageAt: Date }).lastMessageAt;
}

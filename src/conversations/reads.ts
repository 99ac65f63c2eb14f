// What other areas (official, lounge) read of conversations.
import { userProfiles } from '../auth/index.js';
import type { Db } from '../platform/transactions.js';
import { Conversation } from './models.js';

/** A conversation of this community found by id or by customer; row-locked with `lock` (for status changes). */
export async function findConversation(
  db: Db,
  where: { communityId: string } & ({ id: string } | { customerId: string }),
  options: { lock?: boolean } = {},
): Promise<Conversation | undefined> {
  const query = Conversation.query(db).findOne(where);
  return options.lock ? query.forUpdate() : query;
}

export async function countConversations(db: Db, communityId: string): Promise<number> {
  const [counted] = await db('conversations')
    .where('communityId', communityId)
    .count<{ count: string }[]>({ count: '*' });
  return Number(counted!.count);
}

/**
 * The community's conversations as `c`, each with its customer's profile as `u`: the CS queue (official)
 * orders, filters and pages it.
 */
export const queueRows = (db: Db, communityId: string) =>
  db('conversations as c').join(userProfiles(db).as('u'), 'u.id', 'c.customerId').where('c.communityId', communityId);

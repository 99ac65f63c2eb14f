// The conversations area's statements in plain knex and raw SQL, and the reads other areas use (its Objection
// models, models.ts, do the rest).
import type * as T from '../../generated/server/schemas.gen.js';
import { userProfiles } from '../auth/index.js';
import { findCommunity, findMember, type Community, type MemberRole } from '../communities/index.js';
import { toTimestamp } from '../platform/date-time.js';
import type { Db, Transaction } from '../platform/transactions.js';
import { Conversation, type ConversationMessage, type ConversationStatus } from './models.js';
import { toConversationMessage } from './wire.js';

// The hot-path reads, in plain knex (the statements Objection's findById sent: read on every conversation
// request, and the message page is a benchmark row). ConversationsService runs them, and so does the benchmark's
// bare server (scripts/bench/bare-cs.ts).

export const STAFF_ROLES: readonly MemberRole[] = ['creator', 'moderator', 'cs_agent'];

/** A conversation as the caller sees it. */
export interface Access {
  conversation: Conversation;
  community: Community;
  /** `customer`, a staff role of the community, or undefined (the caller may not see it). */
  as: 'customer' | MemberRole | undefined;
}

/** The user's view of a conversation, undefined when there is none; row-locked when `lock`. */
export async function conversationAccess(
  db: Db,
  userId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Access | undefined> {
  const query = db('conversations').select('conversations.*').where('conversations.id', id);
  const [conversation] = (await (options.lock ? query.forUpdate() : query)) as Conversation[];
  if (!conversation) return undefined;
  const community = (await findCommunity(db, conversation.communityId))!;
  if (conversation.customerId === userId) return { conversation, community, as: 'customer' };
  const member = await findMember(db, community.id, userId);
  return { conversation, community, as: member && STAFF_ROLES.includes(member.role) ? member.role : undefined };
}

/** A page of a conversation's messages, newest first, before `before` when given. */
export async function conversationMessagePage(
  db: Db,
  id: string,
  query: { before?: string; limit: number },
  audioUrl: (id: string) => string,
): Promise<T.ConversationMessageList> {
  // Rows, not model instances: building them is a visible cost on this page (docs/benchmarks.md, Customer service).
  const rows = db('conversation_messages')
    .select('conversation_messages.*')
    .where('conversationId', id)
    .orderBy('createdAt', 'desc')
    .limit(query.limit + 1);
  if (query.before) rows.where('createdAt', '<', toTimestamp(query.before));
  const page = (await rows) as ConversationMessage[];
  return {
    messages: page.slice(0, query.limit).map((m) => toConversationMessage(m, audioUrl)),
    hasMore: page.length > query.limit,
  };
}

// What other areas (official, lounge) read of conversations.

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

/**
 * The conversations' columns the CS queue reads, as a relation for official's statements to join (`from
 * (${CONVERSATIONS_SQL}) c`): a subquery PostgreSQL flattens, so conversations_queue_idx serves them as before.
 */
export const CONVERSATIONS_SQL =
  'select id, community_id, customer_id, status, assigned_cs_id, created_at, updated_at from conversations';

// Opening a conversation.

/**
 * Creates the customer's conversation with the community, in status `initial`; a conversation already there (a
 * concurrent first call's included) is left as is. True when this call created it.
 */
export async function insertConversationIfAbsent(
  trx: Transaction,
  communityId: string,
  customerId: string,
  initial: ConversationStatus,
  now: Date,
): Promise<boolean> {
  const inserted = await trx.raw(
    `insert into conversations (community_id, customer_id, status, created_at, updated_at) values (?, ?, ?, ?, ?)
       on conflict (community_id, customer_id) do nothing returning id`,
    [communityId, customerId, initial, now, now],
  );
  return (inserted as { rows: unknown[] }).rows.length > 0;
}

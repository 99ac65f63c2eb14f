// The conversations area's hot-path reads, in plain knex (the statements Objection's findById sent: read on
// every conversation request, and the message page is a benchmark row). ConversationsService runs them, and so
// does the benchmark's bare server (scripts/bench/bare-cs.ts).
import type * as T from '../../generated/server/schemas.gen.js';
import { findCommunity, findMember, type Community, type MemberRole } from '../communities/index.js';
import { toTimestamp } from '../platform/date-time.js';
import type { Db } from '../platform/transactions.js';
import type { Conversation, ConversationMessage } from './models.js';
import { toConversationMessage } from './wire.js';

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

// The conversations area's statements in plain knex and raw SQL, and the reads other areas use (its Objection
// models, models.ts, do the rest).
import type * as T from '../../generated/server/schemas.gen.js';
import { userProfiles } from '../auth/index.js';
import { findCommunity, findMember, MEMBER_ROLES_SQL, type Community, type MemberRole } from '../communities/index.js';
import { toTimestamp } from '../platform/date-time.js';
import {
  type BoundStatement,
  type Checked,
  isoTime,
  renderChecked,
  sizedStatement,
  type Statement,
} from '../platform/rendered.js';
import type { Db, Transaction } from '../platform/transactions.js';
import { Conversation, type ConversationMessage, type ConversationStatus } from './models.js';
import { toConversationMessage } from './wire.js';

// The hot-path reads: the access read in plain knex (the statements Objection's findById sent: read on every
// conversation request), and the message page (a benchmark row), which ConversationsService runs as one statement
// returning the body's JSON (src/platform/rendered.ts). The benchmark's bare server (scripts/bench/bare-cs.ts)
// runs the access read and the message page's hand-written knex baseline.

export const STAFF_ROLES: readonly MemberRole[] = ['creator', 'moderator', 'cs_agent'];
/** STAFF_ROLES as an SQL list (`role in (...)`): fixed words, no user input. */
export const STAFF_ROLES_SQL = STAFF_ROLES.map((role) => `'${role}'`).join(', ');

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

/**
 * A page of a conversation's messages, newest first, before `before` when given: the hand-written knex read
 * mapped in JavaScript, which the benchmark's bare server runs (the service renders it: below).
 */
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

/**
 * A page of a conversation's messages for a reader, with the read check, as one statement per shape ($1 the
 * conversation, $2 limit, $3 what an audio URL starts with for this request, media's audioUrlPrefix, $4 the
 * reader, then `before` when given). Its row: the verdict (`ok` for the customer or the community's staff, as
 * ConversationsService.readable decides; `not_found` for anyone else, as for an unknown id), and when ok a
 * ConversationMessageList's JSON text. It reads up to the page size's + 1 rows (sizedStatement), as
 * conversationMessagePage reads `limit + 1`, for `hasMore`. One round trip where the conversation, community, role
 * and page reads were four.
 */
function messagePageStatement(before: boolean): (limit: number) => Statement {
  return sizedStatement(
    `conversations_message_page${before ? '_before' : ''}`,
    (size) => `with verdict as (
      select case when exists (
        select from conversations c
        where c.id = $1::uuid and (c.customer_id = $4::uuid or exists (
          select from (${MEMBER_ROLES_SQL}) r
          where r.community_id = c.community_id and r.user_id = $4::uuid and r.role in (${STAFF_ROLES_SQL})))
      ) then 'ok' else 'not_found' end as verdict
    ), page as (
      select m.id, m.conversation_id as "conversationId", m.sender_kind as "senderKind", m.sender_id as "senderId",
        m.agent_listing_id as "agentListingId", m.content, ${isoTime('m.created_at')} as "createdAt",
        $3::text || m.tts_audio_id as "ttsAudioUrl",
        row_number() over (order by m.created_at desc) as n
      from conversation_messages m
      where m.conversation_id = $1::uuid${before ? ' and m.created_at < $5::timestamptz' : ''}
      order by m.created_at desc limit ${size + 1}
    )
    select v.verdict, case when v.verdict = 'ok' then '{"messages":' || coalesce((
        select json_agg(r)::text from (
          select p.id, p."conversationId", p."senderKind", p."senderId", p."agentListingId", p.content, p."createdAt",
            p."ttsAudioUrl"
          from page p where p.n <= $2::int order by p.n
        ) r), '[]')
      || ',"hasMore":' || case when exists (select from page p where p.n > $2::int) then 'true' else 'false' end
      || '}' end
    from verdict v`,
  );
}

const MESSAGE_PAGE_STATEMENTS = [messagePageStatement(false), messagePageStatement(true)] as const;

/** The statement and values of a reader's message page (the benchmark's limit server sends them as they are). */
export function conversationMessagePageQuery(
  id: string,
  readerId: string,
  query: { before?: string; limit: number },
  audioUrlPrefix: string,
): BoundStatement {
  const values: unknown[] = [id, query.limit, audioUrlPrefix, readerId];
  if (query.before) values.push(toTimestamp(query.before));
  return { sql: MESSAGE_PAGE_STATEMENTS[query.before ? 1 : 0](query.limit), values };
}

/** A page of a conversation's messages, newest first, as the ConversationMessageList's JSON text, if `readerId` may read it. */
export function renderConversationMessagePage(
  db: Db,
  id: string,
  readerId: string,
  query: { before?: string; limit: number },
  audioUrlPrefix: string,
): Promise<Checked<T.ConversationMessageList, 'not_found'>> {
  const { sql, values } = conversationMessagePageQuery(id, readerId, query, audioUrlPrefix);
  return renderChecked(db, sql, values);
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

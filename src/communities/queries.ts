// The communities area's statements in plain knex and raw SQL (its Objection models, models.ts, do the rest):
// the hot paths, row locks, `on conflict`, and what other areas read or change of communities and their
// members, always in the caller's transaction. CommunitiesService.messages renders the message page in one
// statement; the benchmark's bare server (scripts/bench/bare-communities.ts) runs its knex baseline
// (communityMessagePage) and the same community and membership reads.
import type * as T from '../../generated/server/schemas.gen.js';
import type { ReplyFailure } from '../ai/reply-stream.js';
import { listingSummaries } from '../agents/index.js';
import { USER_PROFILES_SQL, userProfiles } from '../auth/index.js';
import { toTimestamp } from '../platform/date-time.js';
import { containsPattern } from '../platform/search.js';
import type { Minor } from '../platform/money.js';
import {
  type BoundStatement,
  type Checked,
  credits,
  isoTime,
  pageFields,
  compiledRows,
  type Rendered,
  renderOne,
  renderChecked,
  renderPage,
  sizedStatement,
  type Statement,
  statement,
} from '../platform/rendered.js';
import type { Db, Transaction } from '../platform/transactions.js';
import type { Community, CommunityMember, CommunityMessage, CommunityPaidMonth, MemberRole } from './models.js';
import { toMessage } from './wire.js';

// Communities and memberships: the reads every community, customer-service and conversation operation starts
// with (the community by id and a user's membership). Plain knex sending the statements Objection's findById /
// findOne send: these run on every such request, where Objection's model building is a visible cost (the
// communities and customer-service rows of docs/benchmarks.md).

/** A Community's fields as the JSON's names, from the communities row aliased `c`. */
const COMMUNITY_JSON = `c.id, c.creator_id as "creatorId", c.name, c.description, c.type, c.category,
  c.avatar_url as "avatarUrl", ${credits('c.join_fee_minor')} as "joinFee", ${credits('c.monthly_fee_minor')} as "monthlyFee",
  ${credits('c.agent_call_fee_minor')} as "agentCallFee", c.cs_mode as "csMode",
  c.default_agent_listing_id as "defaultAgentListingId", c.status, c.is_verified as "isVerified",
  c.member_count as "memberCount", ${isoTime('c.created_at')} as "createdAt", ${isoTime('c.updated_at')} as "updatedAt"`;

export interface CommunityBrowseQuery {
  type?: T.CommunityType;
  category?: string;
  search?: string;
  page: number;
  limit: number;
}

/**
 * The browse of active communities, newest first, as one statement per shape of filter ($1 limit, $2 offset,
 * $3 page, then the type, the category and the name pattern when given): a CommunityBrowsePage's JSON text with
 * its exact total. json_agg reads the page from a sorted subquery, which keeps its order.
 */
function communityBrowseStatement(byType: boolean, byCategory: boolean, bySearch: boolean): Statement {
  let n = 3;
  const filters = [`c.status = 'active'`];
  if (byType) filters.push(`c.type = $${++n}::text`);
  if (byCategory) filters.push(`lower(c.category) = lower($${++n}::text)`);
  if (bySearch) filters.push(`c.name ilike $${++n}::text`);
  const where = filters.join(' and ');
  return statement(
    `communities_browse${byType ? '_type' : ''}${byCategory ? '_category' : ''}${bySearch ? '_search' : ''}`,
    `select '{"communities":' || coalesce((
        select json_agg(r)::text from (
          select ${COMMUNITY_JSON} from communities c where ${where}
          order by c.created_at desc, c.id desc limit $1::int offset $2::bigint
        ) r), '[]')
      || ${pageFields('$1', '$3')}
      || '}'
    from (select count(*) as total from communities c where ${where}) t`,
  );
}

const COMMUNITY_BROWSE_STATEMENTS = new Map<string, Statement>();
for (const byType of [false, true])
  for (const byCategory of [false, true])
    for (const bySearch of [false, true])
      COMMUNITY_BROWSE_STATEMENTS.set(
        `${byType}${byCategory}${bySearch}`,
        communityBrowseStatement(byType, byCategory, bySearch),
      );

/** The statement and its values for one browse request (an empty category filters nothing). */
export function communityBrowseQuery(query: CommunityBrowseQuery): BoundStatement {
  const { page, limit } = query;
  const category = query.category !== undefined && query.category !== '' ? query.category : undefined;
  const search = containsPattern(query.search);
  const values: unknown[] = [limit, (page - 1) * limit, page];
  if (query.type) values.push(query.type);
  if (category !== undefined) values.push(category);
  if (search) values.push(search);
  const sql = COMMUNITY_BROWSE_STATEMENTS.get(`${!!query.type}${category !== undefined}${!!search}`)!;
  return { sql, values };
}

/** Active communities, newest first, as the CommunityBrowsePage's JSON text rendered by PostgreSQL. */
export async function renderCommunityBrowse(
  db: Db,
  query: CommunityBrowseQuery,
): Promise<Rendered<T.CommunityBrowsePage>> {
  const { sql, values } = communityBrowseQuery(query);
  return renderPage<T.CommunityBrowsePage>(db, sql, values);
}

/** A community by id, whatever its status ($1): a Community's JSON text, no row when there is none. */
export const COMMUNITY_STATEMENT = statement(
  'communities_get',
  `select row_to_json(r)::text from (select ${COMMUNITY_JSON} from communities c where c.id = $1::uuid) r`,
);

export function renderCommunity(db: Db, id: string): Promise<Rendered<T.Community> | undefined> {
  return renderOne<T.Community>(db, COMMUNITY_STATEMENT, [id]);
}

/**
 * A page of a community's members, longest-standing first, with their public profiles and the exact total ($1
 * the community, $2 limit, $3 offset, $4 page): a CommunityMemberList's JSON text; no row when the community
 * does not exist. json_agg reads the page from a sorted subquery, which keeps its order.
 */
const MEMBER_PAGE_STATEMENT = statement(
  'communities_member_page',
  `select '{"members":' || coalesce((
      select json_agg(r)::text from (
        select m.id, m.user_id as "userId", m.role, ${isoTime('m.joined_at')} as "joinedAt",
          m.subscription_status as "subscriptionStatus", u.name as "userName", u.image as "userImage"
        from community_members m join (${USER_PROFILES_SQL}) u on u.id = m.user_id
        where m.community_id = c.id
        order by m.joined_at asc, m.id asc limit $2::int offset $3::bigint
      ) r), '[]')
    || ${pageFields('$2', '$4')}
    || '}'
  from communities c
  cross join lateral (select count(*) as total from community_members m where m.community_id = c.id) t
  where c.id = $1::uuid`,
);

export function renderMemberPage(
  db: Db,
  communityId: string,
  { page, limit }: { page: number; limit: number },
): Promise<Rendered<T.CommunityMemberList> | undefined> {
  return renderOne<T.CommunityMemberList>(db, MEMBER_PAGE_STATEMENT, [communityId, limit, (page - 1) * limit, page]);
}

export async function findCommunity(
  db: Db,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Community | undefined> {
  const query = db('communities').select('communities.*').where('communities.id', id);
  return ((await (options.lock ? query.forUpdate() : query)) as Community[])[0];
}

/**
 * `share`: held until the transaction ends, so that a concurrent change of the membership waits for it;
 * `update`: the caller changes the membership (or inserts it when there is none).
 */
export async function findMember(
  db: Db,
  communityId: string,
  userId: string,
  options: { lock?: 'share' | 'update' } = {},
): Promise<CommunityMember | undefined> {
  const query = db('community_members').select('community_members.*').where({ communityId, userId });
  const locked = options.lock === 'share' ? query.forShare() : options.lock === 'update' ? query.forUpdate() : query;
  return ((await locked) as CommunityMember[])[0];
}

// What other areas (official, admin) read or change of a community.

/** Communities and their members' roles as SQL relations, for other areas' statements (the CS queue's check). */
export const COMMUNITIES_SQL = 'select id, type, status, creator_id from communities';
export const MEMBER_ROLES_SQL = 'select community_id, user_id, role from community_members';

/** Communities' names: the relation to join (`.join(communityNames(db).as('c'), 'c.id', ...)`). */
export const communityNames = (db: Db) => db('communities').select('id', 'name');

/** Marks the community verified (an approved verification request). */
export async function markVerified(trx: Transaction, communityId: string, now: Date): Promise<void> {
  await trx('communities').where('id', communityId).update({ isVerified: true, updatedAt: now });
}

// Joining. The paid join is a benchmark row (paid join): plain knex, the same statements Objection would send.

/**
 * A joining user's row: a `member` without a subscription yet. A concurrent join by the same user fails on the
 * unique key (community, user): run it in a savepoint, whose failure the caller turns into 409.
 */
export async function insertMember(
  sp: Transaction,
  communityId: string,
  userId: string,
  joinedAt: Date,
): Promise<void> {
  await sp('community_members')
    .insert({ communityId, joinedAt, role: 'member', subscriptionStatus: 'none', userId })
    .returning('id');
}

/**
 * Adds the user as a member with this role, without a subscription; a member already there (a concurrent add
 * included) is left as is. True when this call added them.
 */
export async function insertMemberIfAbsent(
  trx: Transaction,
  communityId: string,
  userId: string,
  role: MemberRole,
  joinedAt: Date,
): Promise<boolean> {
  const inserted = await trx.raw(
    `insert into community_members (community_id, user_id, role, subscription_status, joined_at) values (?, ?, ?, 'none', ?)
     on conflict (community_id, user_id) do nothing returning id`,
    [communityId, userId, role, joinedAt],
  );
  return (inserted as { rows: unknown[] }).rows.length > 0;
}

/** Sets the subscription of the user's membership: a join's (a new member, or a cancelled one renewing). */
export async function setSubscription(
  trx: Transaction,
  communityId: string,
  userId: string,
  subscription: Pick<CommunityMember, 'subscriptionStatus' | 'paidUntil' | 'monthlyPriceMinor'>,
): Promise<void> {
  await trx('community_members').where({ communityId, userId }).update(subscription);
}

/** The member count's step, compiled once: a join's last statement (the community's row lock it takes is held to COMMIT). */
const INCREMENT_MEMBER_COUNT_STATEMENT = statement(
  'communities_member_count_increment',
  'update communities set member_count = member_count + 1 where id = $1::uuid',
);

/** Counts a new member in the community's `memberCount`. */
export async function incrementMemberCount(trx: Transaction, communityId: string): Promise<void> {
  await compiledRows(trx, INCREMENT_MEMBER_COUNT_STATEMENT, [communityId]);
}

// Paid months and renewals.

/** The user's paid month running at `now` in the community (the latest ending first), if any. */
export async function runningPaidMonth(
  trx: Transaction,
  communityId: string,
  userId: string,
  now: Date,
): Promise<CommunityPaidMonth | undefined> {
  const [running] = (await trx('community_paid_months')
    .select('community_paid_months.*')
    .where({ communityId, userId })
    .where('startsAt', '<=', now)
    .where('endsAt', '>', now)
    .orderBy('endsAt', 'desc')) as CommunityPaidMonth[];
  return running;
}

/**
 * Records a renewed paid month by its natural key (community, member, start). False when it is recorded
 * already: an earlier run paid it and died before updating the member.
 */
export async function insertPaidMonthIfAbsent(
  sp: Transaction,
  communityId: string,
  userId: string,
  startsAt: Date,
  endsAt: Date,
): Promise<boolean> {
  const inserted = await sp.raw(
    'insert into community_paid_months (community_id, user_id, starts_at, ends_at) values (?, ?, ?, ?) on conflict do nothing returning starts_at',
    [communityId, userId, startsAt, endsAt],
  );
  return (inserted as { rows: unknown[] }).rows.length > 0;
}

/**
 * Claims up to `limit` memberships due for renewal at `now` (active or past due, their paid month ended, in an
 * active community), the longest due first, `except` those already tried. Locked `for update of m skip locked`:
 * a membership another instance is renewing is left to it. Plain knex: Objection cannot lock one table of a
 * join (`for update of m`).
 */
export async function claimDueMembers(
  trx: Transaction,
  now: Date,
  except: string[],
  limit: number,
): Promise<CommunityMember[]> {
  return (await trx('community_members as m')
    .join('communities as c', 'c.id', 'm.communityId')
    .where('c.status', 'active')
    .whereIn('m.subscriptionStatus', ['active', 'past_due'])
    .where('m.paidUntil', '<=', now)
    .whereNotIn('m.id', except)
    .orderBy('m.paidUntil')
    .limit(limit)
    .forUpdate('m')
    .skipLocked()
    .select('m.*')) as CommunityMember[];
}

// Agents of a community.

/** Adds the listing to the community's agents; false when it is one already (nothing changes then). */
export async function addAgentIfAbsent(
  trx: Transaction,
  communityId: string,
  listingId: string,
  addedAt: Date,
): Promise<boolean> {
  const added = await trx.raw(
    'insert into community_agents (community_id, listing_id, added_at) values (?, ?, ?) on conflict do nothing returning id',
    [communityId, listingId, addedAt],
  );
  return (added as { rows: unknown[] }).rows.length > 0;
}

/** What a chat needs of an agent's listing. */
export interface ChatListing {
  id: string;
  name: string;
  model: string;
  instructions: string | null;
}

/** The listing, when it is one of the community's agents (plain knex, the statement Objection sent). */
export async function communityAgent(db: Db, communityId: string, listingId: string): Promise<ChatListing | undefined> {
  const [listing] = await db('community_agents as a')
    .join(listingSummaries(db).as('l'), 'l.id', 'a.listingId')
    .where({ 'a.communityId': communityId, 'a.listingId': listingId })
    .select('l.id', 'l.name', 'l.model', 'l.instructions');
  return listing as ChatListing | undefined;
}

// Messages: the history's page, its append and what an agent reads of it. Hot paths (their benchmark rows:
// the community message page; the agent chat's first chunk).

/**
 * A page of a community's history for a reader, with the read check, as one statement per shape ($1 the
 * community, $2 limit, $3 what an audio URL starts with for this request, media's audioUrlPrefix, $4 the reader,
 * then `before` when given). Its row: the verdict (`ok`, `not_found`: no such community, `not_member`), and when
 * ok a CommunityMessageList's JSON text, each author's profile joined. It reads up to the page size's + 1 rows
 * (sizedStatement), as communityMessagePage reads `limit + 1`, for `hasMore`. One round trip where the community,
 * membership and page reads were three.
 */
function messagePageStatement(before: boolean): (limit: number) => Statement {
  return sizedStatement(
    `communities_message_page${before ? '_before' : ''}`,
    (size) => `with verdict as (
      select case
        when not exists (select from communities c where c.id = $1::uuid) then 'not_found'
        when not exists (select from community_members m where m.community_id = $1::uuid and m.user_id = $4::uuid)
          then 'not_member'
        else 'ok' end as verdict
    ), page as (
      select msg.id, msg.user_id as "userId", msg.agent_listing_id as "agentListingId", msg.content,
        msg.message_type as "messageType", ${isoTime('msg.created_at')} as "createdAt", u.name as "userName",
        u.image as "userImage", msg.agent_name as "agentName", $3::text || msg.tts_audio_id as "ttsAudioUrl",
        row_number() over (order by msg.created_at desc) as n
      from community_messages msg left join (${USER_PROFILES_SQL}) u on u.id = msg.user_id
      where msg.community_id = $1::uuid${before ? ' and msg.created_at < $5::timestamptz' : ''}
      order by msg.created_at desc limit ${size + 1}
    )
    select v.verdict, case when v.verdict = 'ok' then '{"messages":' || coalesce((
        select json_agg(r)::text from (
          select p.id, p."userId", p."agentListingId", p.content, p."messageType", p."createdAt", p."userName",
            p."userImage", p."agentName", p."ttsAudioUrl"
          from page p where p.n <= $2::int order by p.n
        ) r), '[]')
      || ',"hasMore":' || case when exists (select from page p where p.n > $2::int) then 'true' else 'false' end
      || '}' end
    from verdict v`,
  );
}

const MESSAGE_PAGE_STATEMENTS = [messagePageStatement(false), messagePageStatement(true)] as const;

/** The statement and values of a reader's message page (the benchmark's limit server sends them as they are). */
export function communityMessagePageQuery(
  id: string,
  readerId: string,
  query: { before?: string; limit: number },
  audioUrlPrefix: string,
): BoundStatement {
  const values: unknown[] = [id, query.limit, audioUrlPrefix, readerId];
  if (query.before) values.push(toTimestamp(query.before));
  return { sql: MESSAGE_PAGE_STATEMENTS[query.before ? 1 : 0](query.limit), values };
}

/** A page of a community's history, newest first, as the CommunityMessageList's JSON text, if `readerId` may read it. */
export function renderCommunityMessagePage(
  db: Db,
  id: string,
  readerId: string,
  query: { before?: string; limit: number },
  audioUrlPrefix: string,
): Promise<Checked<T.CommunityMessageList, 'not_found' | 'not_member'>> {
  const { sql, values } = communityMessagePageQuery(id, readerId, query, audioUrlPrefix);
  return renderChecked(db, sql, values);
}

/**
 * A page of a community's history, newest first, before `before` when given, with each author's profile: the
 * hand-written knex read mapped in JavaScript, which the benchmark's bare server runs (the service renders it).
 */
export async function communityMessagePage(
  db: Db,
  id: string,
  query: { before?: string; limit: number },
  audioUrl: (id: string) => string,
): Promise<T.CommunityMessageList> {
  const rows = db('community_messages as msg')
    .leftJoin(userProfiles(db).as('u'), 'u.id', 'msg.userId')
    .where('msg.communityId', id)
    .select('msg.*', 'u.name as userName', 'u.image as userImage')
    .orderBy('msg.createdAt', 'desc')
    .limit(query.limit + 1);
  if (query.before) rows.where('msg.createdAt', '<', toTimestamp(query.before));
  const page = (await rows) as Array<CommunityMessage & { userName: string | null; userImage: string | null }>;
  return {
    messages: page.slice(0, query.limit).map((m) => toMessage(m, audioUrl)),
    hasMore: page.length > query.limit,
  };
}

/**
 * Stores a message (its `createdAt` from the community's counter, CommunitiesService.appendMessage). One
 * insert ... returning * (Objection's insertAndFetch sent an insert and then a select).
 */
export async function insertMessage(
  trx: Transaction,
  message: Pick<
    CommunityMessage,
    'communityId' | 'userId' | 'agentListingId' | 'agentName' | 'content' | 'messageType' | 'createdAt'
  >,
): Promise<CommunityMessage> {
  const [row] = await trx('community_messages').insert(message).returning('*');
  return row as CommunityMessage;
}

/** A community message with its author's name (null for an agent's or a system message). */
export type MessageWithAuthor = CommunityMessage & { userName: string | null };

/** The community's latest `limit` messages, newest first, system messages left out, with their authors' names. */
export async function recentMessages(db: Db, communityId: string, limit: number): Promise<MessageWithAuthor[]> {
  return (await db('community_messages as m')
    .leftJoin(userProfiles(db).as('u'), 'u.id', 'm.userId')
    .where('m.communityId', communityId)
    .whereNot('m.messageType', 'system')
    .orderBy('m.createdAt', 'desc')
    .limit(limit)
    .select('m.*', 'u.name as userName')) as MessageWithAuthor[];
}

// Agent calls (agent-calls.ts): their rows' transitions, each conditional on the locked row, and the
// heartbeat on the database's clock (instances' clocks need not agree).

/** An in-progress call's row, as `open` inserts it: its heartbeat starts now, on the database's clock. */
export async function insertCall(
  trx: Transaction,
  call: {
    id: string;
    communityId: string;
    userId: string;
    listingId: string;
    feeMinor: Minor;
    userMessageId: string;
    createdAt: Date;
  },
): Promise<void> {
  await trx('agent_calls').insert({
    id: call.id,
    communityId: call.communityId,
    userId: call.userId,
    listingId: call.listingId,
    feeMinor: call.feeMinor,
    status: 'in_progress',
    userMessageId: call.userMessageId,
    heartbeatAt: trx.fn.now(),
    createdAt: call.createdAt,
  });
}

/** A call's row as `lockCall` reads it: with the names its ledger entries quote. */
export interface LockedCall {
  id: string;
  userId: string;
  feeMinor: string | number;
  status: 'in_progress' | 'settled' | 'refunded';
  communityName: string;
  listingName: string | null;
}

/**
 * The call's row, locked (`for update of a`), with the names its ledger entries quote. `staleAfterMs`: only if
 * its heartbeat is that old; `skipLocked`: none when another transaction holds it.
 */
export async function lockCall(
  trx: Transaction,
  id: string,
  options: { staleAfterMs?: number; skipLocked?: boolean } = {},
): Promise<LockedCall | undefined> {
  const query = trx('agent_calls as a')
    .join('communities as c', 'c.id', 'a.communityId')
    .leftJoin(listingSummaries(trx).as('l'), 'l.id', 'a.listingId')
    .where('a.id', id)
    .select('a.id', 'a.userId', 'a.feeMinor', 'a.status', 'c.name as communityName', 'l.name as listingName')
    .forUpdate('a');
  if (options.staleAfterMs !== undefined) query.where('a.heartbeatAt', '<', staleBefore(trx, options.staleAfterMs));
  if (options.skipLocked) query.skipLocked();
  return ((await query) as LockedCall[])[0];
}

/** Ends a locked call as settled, with the reply that settled it. */
export async function settleCall(trx: Transaction, id: string, replyMessageId: string, endedAt: Date): Promise<void> {
  await trx('agent_calls').where('id', id).update({ status: 'settled', replyMessageId, endedAt });
}

/** Ends a locked call as refunded, saying why. */
export async function refundCall(trx: Transaction, id: string, failure: ReplyFailure, endedAt: Date): Promise<void> {
  await trx('agent_calls').where('id', id).update({ status: 'refunded', failure, endedAt });
}

/**
 * Up to `limit` in-progress calls whose heartbeat is older than `staleAfterMs` (their process died), the oldest
 * beat first, `except` those given.
 */
export async function staleCalls(db: Db, staleAfterMs: number, except: string[], limit: number): Promise<string[]> {
  return (await db('agent_calls')
    .where('status', 'in_progress')
    .where('heartbeatAt', '<', staleBefore(db, staleAfterMs))
    .whereNotIn('id', except)
    .orderBy('heartbeatAt')
    .limit(limit)
    .pluck('id')) as string[];
}

/** The calls' current statuses. */
export async function callStatuses(db: Db, ids: string[]): Promise<Array<{ id: string; status: string }>> {
  return (await db('agent_calls').whereIn('id', ids).select('id', 'status')) as Array<{
    id: string;
    status: string;
  }>;
}

/**
 * Moves the heartbeat of these calls that are still in progress to now. A call being settled or refunded right
 * now (its row locked) is skipped, not waited for: one slow transaction must not hold up the beat of the others.
 */
export async function beatCalls(db: Db, ids: string[]): Promise<void> {
  await db('agent_calls')
    .update({ heartbeatAt: db.fn.now() })
    .whereIn(
      'id',
      db('agent_calls').whereIn('id', ids).where('status', 'in_progress').forUpdate().skipLocked().select('id'),
    );
}

/** `staleAfterMs` before now, on the database's clock. */
function staleBefore(db: Db, staleAfterMs: number) {
  return db.raw(`now() - make_interval(secs => ?)`, [staleAfterMs / 1000]);
}

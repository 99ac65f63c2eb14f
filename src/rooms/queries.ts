// The rooms area's statements in plain knex or raw SQL: the hot paths (room access, the event append, posting a
// message, the timeline page: their benchmark rows in docs/benchmarks.md), row locks, conditional updates and
// what Objection's model queries cannot say. Each takes the db or the caller's transaction first; the services
// decide which transaction, in what order. Ordinary reads and writes of one model stay `Model.query(...)`
// calls in the services (models.ts).
import type { Knex } from 'knex';
import type { AnyQueryBuilder, Model } from 'objection';
import { listingIdsOwnedBy, listingSummaries } from '../agents/index.js';
import { userProfiles } from '../auth/index.js';
import type * as T from '../../generated/server/schemas.gen.js';
import type { OffsetQuery } from '../platform/pages.js';
import {
  type BoundStatement,
  type Checked,
  compiledRows,
  isoTime,
  type Rendered,
  renderChecked,
  renderPage,
  sizedStatement,
  type Statement,
  statement,
} from '../platform/rendered.js';
import type { Db, Transaction } from '../platform/transactions.js';
import {
  RoomInvitation,
  RoomParticipant,
  type Room,
  type RoomEvent,
  type RoomMessage,
  type RoomRun,
} from './models.js';

/** A model's columns, as a row to insert. */
type Columns<M extends Model> = Omit<M, keyof Model>;

// --- Room access: the room, the caller's participant, their invitation ---------------------------------------
// Room access is read by every room operation (its benchmark rows: posting a message, the timeline; the bare
// server runs it too): plain knex, the statements Objection's findById / findOne / first sent (first() reads
// the first row of an unlimited query: no LIMIT, as there).

/** The room's row, undefined when there is none; row-locked (until commit) when `lock`. */
export async function findRoom(db: Db, roomId: string, options: { lock?: boolean } = {}): Promise<Room | undefined> {
  const query = db('rooms').select('rooms.*').where('rooms.id', roomId);
  const [room] = (await (options.lock ? query.forUpdate() : query)) as Room[];
  return room;
}

/** Pending invitations the user can accept: addressed to them, or to an agent listing they own (a modifier). */
export const acceptableBy =
  (userId: string, now: Date, alias = 'room_invitations') =>
  (q: AnyQueryBuilder | Knex.QueryBuilder) => {
    q.where(`${alias}.status`, 'pending')
      .where(`${alias}.expiresAt`, '>', now)
      .where((w) => {
        w.where((h) => h.where(`${alias}.inviteeKind`, 'human').where(`${alias}.inviteeMembershipId`, userId)).orWhere(
          (g) =>
            g.where(`${alias}.inviteeKind`, 'agent').whereIn(`${alias}.inviteeMembershipId`, listingIdsOwnedBy(userId)),
        );
      });
  };

/** The user's own (human) participant in the room, current or former. */
export async function findHumanParticipant(
  db: Db,
  roomId: string,
  userId: string,
): Promise<RoomParticipant | undefined> {
  const [participant] = (await db('room_participants')
    .select('room_participants.*')
    .where({ roomId, participantKind: 'human', membershipId: userId })) as RoomParticipant[];
  return participant;
}

/** The newest pending, unexpired invitation to the room the user may accept at `now`. */
export async function newestAcceptableInvitation(
  db: Db,
  roomId: string,
  userId: string,
  now: Date,
): Promise<RoomInvitation | undefined> {
  const [invitation] = (await db('room_invitations')
    .select('room_invitations.*')
    .where('roomId', roomId)
    .modify(acceptableBy(userId, now))
    .orderBy('createdAt', 'desc')) as RoomInvitation[];
  return invitation;
}

// --- Room locks and the event counter ------------------------------------------------------------------------

/** Takes the room's row lock, until commit: a run's transitions take it before the run's (runs.ts's lock order). */
export async function lockRoom(t: Transaction, roomId: string): Promise<void> {
  await t('rooms').where('id', roomId).forUpdate().first('id');
}

/** Takes the room's row lock unless another transaction holds it (SKIP LOCKED): false then, without waiting. */
export async function tryLockRoom(t: Transaction, roomId: string): Promise<boolean> {
  return !!(await t('rooms').where('id', roomId).forUpdate().skipLocked().first('id'));
}

/** The event counter's step, compiled once ($1 room, $2 now): every appended event takes it. */
const NEXT_SEQ_STATEMENT = statement(
  'rooms_next_seq',
  'update rooms set last_seq = last_seq + 1, updated_at = $2::timestamptz where id = $1::uuid returning last_seq',
);

/**
 * The room's next seq: its counter moves on (`update rooms set last_seq = last_seq + 1 ... returning`, which
 * row-locks the room until commit) and its `updatedAt` to `now`. Undefined when the room does not exist.
 */
export async function nextSeq(trx: Transaction, roomId: string, now: Date): Promise<number | undefined> {
  const [counter] = await compiledRows<{ lastSeq: string }>(trx, NEXT_SEQ_STATEMENT, [roomId, now]);
  return counter ? Number(counter.lastSeq) : undefined;
}

// --- Participants --------------------------------------------------------------------------------------------

/** A participant's columns: every column, a RoomParticipant (test/runtime/rendered.test.ts holds it to `select *`). */
const PARTICIPANT_COLUMNS = `id, room_id, participant_kind, membership_id, display_name, profile_picture_url,
  role_document_id, agent_enabled, joined_at, left_at, left_seq, created_at, updated_at`;

const CURRENT_PARTICIPANTS_STATEMENT = statement(
  'room_participants_current',
  `select ${PARTICIPANT_COLUMNS} from room_participants where room_id = $1::uuid and left_at is null`,
);

/**
 * The room's current participants (whom a message may mention), in no particular order. Compiled once: posting a
 * message reads it (its benchmark rows: posting in a busy room, spread over 100 rooms).
 */
export async function currentParticipants(db: Db, roomId: string): Promise<RoomParticipant[]> {
  return compiledRows<RoomParticipant>(db, CURRENT_PARTICIPANTS_STATEMENT, [roomId]);
}

/**
 * Each room's first `perRoom` current participants in join order, each row with its room's current count
 * (`currentCount`), in one statement however many rooms.
 */
export async function firstCurrentParticipants(
  db: Db,
  roomIds: string[],
  perRoom: number,
): Promise<Array<RoomParticipant & { currentCount: number | string }>> {
  const ranked = db('room_participants')
    .whereIn('roomId', roomIds)
    .whereNull('leftAt')
    .select(
      'room_participants.*',
      db.raw('row_number() over (partition by room_id order by joined_at, id) as position'),
      db.raw('count(*) over (partition by room_id) as current_count'),
    );
  return (await db.from(ranked.as('p')).where('position', '<=', perRoom).orderBy(['roomId', 'position'])) as Array<
    RoomParticipant & { currentCount: number | string }
  >;
}

/** A subquery of the membership ids of the room's current participants, for `whereNotIn(column, ...)`. */
export const currentMembershipIds = (db: Db, roomId: string): Knex.QueryBuilder =>
  db('room_participants').select('membershipId').where('roomId', roomId).whereNull('leftAt');

/**
 * Humans who share another room with the user (both current participants), by name (case-insensitive), then
 * id: at most `limit`, leaving out the user and the ids `except` selects.
 */
export async function humansSharingARoomWith(
  db: Db,
  userId: string,
  roomId: string,
  except: Knex.QueryBuilder,
  limit: number,
): Promise<Array<{ id: string; name: string; image: string | null }>> {
  return (await db
    .from(userProfiles(db).as('u'))
    .whereIn('u.id', (q) =>
      q
        .select('other.membershipId')
        .from('room_participants as me')
        .join('room_participants as other', (j) =>
          j.on('other.roomId', 'me.roomId').andOnNull('other.leftAt').andOnVal('other.participantKind', 'human'),
        )
        .where({ 'me.participantKind': 'human', 'me.membershipId': userId })
        .whereNull('me.leftAt')
        .whereNot('me.roomId', roomId),
    )
    .whereNotIn('u.id', except)
    .whereNot('u.id', userId)
    .select('u.id', 'u.name', 'u.image')
    .orderByRaw('lower(u.name), u.id')
    .limit(limit)) as Array<{ id: string; name: string; image: string | null }>;
}

/**
 * The listing's agent participants are `agentEnabled` exactly where the room's owner may use it (it is public,
 * or the owner's); only rows whose flag changes are updated (and get `updatedAt` = `now`).
 */
export async function syncAgentEnabled(
  t: Transaction,
  listing: { id: string; ownerId: string; isPublic: boolean },
  now: Date,
): Promise<void> {
  const usable = listing.isPublic
    ? t.raw('true')
    : t.raw('exists (select 1 from rooms r where r.id = room_participants.room_id and r.owner_id = ?)', [
        listing.ownerId,
      ]);
  await RoomParticipant.query(t)
    .where({ participantKind: 'agent', membershipId: listing.id })
    .whereRaw('agent_enabled is distinct from (?)', [usable])
    .patch({ agentEnabled: usable as never, updatedAt: now });
}

// --- Invitations ---------------------------------------------------------------------------------------------

/** An invitation with its invitee's current name and avatar (a user's, or an agent listing's). */
export type InvitationWithInvitee = RoomInvitation & {
  inviteeDisplayName: string | null;
  inviteeProfilePictureUrl: string | null;
};

/** A page of the room's invitations, newest first, with the invitee's current name and avatar. */
export async function invitationPage(
  db: Db,
  roomId: string,
  { limit, offset }: OffsetQuery,
): Promise<InvitationWithInvitee[]> {
  return (await RoomInvitation.query(db)
    .alias('i')
    .leftJoin(userProfiles(db).as('u'), (j) => j.on('u.id', 'i.inviteeMembershipId').andOnVal('i.inviteeKind', 'human'))
    .leftJoin(listingSummaries(db).as('l'), (j) =>
      j.on('l.id', 'i.inviteeMembershipId').andOnVal('i.inviteeKind', 'agent'),
    )
    .where('i.roomId', roomId)
    .select(
      'i.*',
      db.raw('coalesce(u.name, l.name) as invitee_display_name'),
      db.raw('coalesce(u.image, l.avatar_url) as invitee_profile_picture_url'),
    )
    .orderBy([
      { column: 'i.createdAt', order: 'desc' },
      { column: 'i.id', order: 'desc' },
    ])
    .limit(limit)
    .offset(offset)) as InvitationWithInvitee[];
}

// --- The event log -------------------------------------------------------------------------------------------

/** A page of events by seq: the newest `limit` (neither bound), the oldest after `afterSeq`, or the newest before `beforeSeq`. */
export interface SeqPage {
  beforeSeq?: number | null;
  afterSeq?: number | null;
  limit: number;
}

/** An event's columns, in the order the insert below takes and returns them: every column, a RoomEvent (as above). */
const EVENT_COLUMNS = `id, room_id, seq, type, schema_version, actor_kind, actor_membership_id, actor_display_name,
  actor_role_document_version_id, subject_kind, subject_id, payload, fallback_text, slot, created_at`;

/** An event's insert, compiled once: each append's second statement (after the counter's step). */
const INSERT_EVENT_STATEMENT = statement(
  'room_events_insert',
  `insert into room_events (${EVENT_COLUMNS})
  values ($1::uuid, $2::uuid, $3::bigint, $4::text, $5::integer, $6::text, $7::uuid, $8::text, $9::uuid, $10::text,
    $11::uuid, $12::jsonb, $13::text, $14::text, $15::timestamptz)
  returning ${EVENT_COLUMNS}`,
);

/**
 * Appends one event row (seq from `nextSeq`, in the same transaction) and returns it as inserted (the row knex's
 * `insert ... returning *` gives). Hot path (every room write; its benchmark row: posting a message): compiled once.
 */
export async function insertEvent(trx: Transaction, row: Columns<RoomEvent>): Promise<RoomEvent> {
  const [inserted] = await compiledRows<RoomEvent>(trx, INSERT_EVENT_STATEMENT, [
    row.id,
    row.roomId,
    row.seq,
    row.type,
    row.schemaVersion,
    row.actorKind,
    row.actorMembershipId,
    row.actorDisplayName,
    row.actorRoleDocumentVersionId,
    row.subjectKind,
    row.subjectId,
    JSON.stringify(row.payload),
    row.fallbackText,
    row.slot,
    row.createdAt,
  ]);
  return inserted!;
}

/**
 * The room's events of a SeqPage, ascending by seq. Hot path (its benchmark rows: the timeline at 1,000 and
 * 100,000 events): plain knex, the statements Objection sent; rows, not model instances (the jsonb payload
 * comes parsed from the driver).
 */
export async function eventPage(db: Db, roomId: string, page: SeqPage): Promise<RoomEvent[]> {
  const query = db('room_events').select('room_events.*').where('roomId', roomId).limit(page.limit);
  if (page.afterSeq != null) return (await query.where('seq', '>', page.afterSeq).orderBy('seq', 'asc')) as RoomEvent[];
  if (page.beforeSeq != null) query.where('seq', '<', page.beforeSeq);
  return ((await query.orderBy('seq', 'desc')) as RoomEvent[]).reverse();
}

// The event page and the timeline rendered by PostgreSQL (src/platform/rendered.ts): TimelineService runs them,
// each one statement returning the body's JSON; eventPage, hasEvents and messagesByIds above and below are the
// same reads in plain knex, which the live feeds and the benchmark's bare server (timelinePage) run.

/** The three shapes of a SeqPage, each its own statement (so each is planned on its index range). */
type SeqShape = 'latest' | 'after' | 'before';

const seqShapeOf = (page: SeqPage): SeqShape =>
  page.afterSeq != null ? 'after' : page.beforeSeq != null ? 'before' : 'latest';

/**
 * The SeqPage's events as the relation `page` ($1 the room, $2 limit, `$<bound>` the bound when there is one):
 * the oldest after `afterSeq`, or the newest (before `beforeSeq`); read by the index on (room_id, seq) in its
 * direction, up to the page size's rows (sizedStatement) numbered in that order and cut to `limit`, the caller
 * sorting them ascending.
 */
const seqPageSql = (shape: SeqShape, bound: number, size: number) => {
  const direction = shape === 'after' ? 'asc' : 'desc';
  return `page as (
    select * from (
      select e.*, row_number() over (order by e.seq ${direction}) as n
      from room_events e where e.room_id = $1::uuid${
        shape === 'after'
          ? ` and e.seq > $${bound}::bigint`
          : shape === 'before'
            ? ` and e.seq < $${bound}::bigint`
            : ''
      }
      order by e.seq ${direction} limit ${size}
    ) e where e.n <= $2::int
  )`;
};

/** A RoomEvent's fields as the JSON's names (toEvent's), from the room_events row aliased `e`. */
const EVENT_JSON = `json_build_object('displayName', e.actor_display_name, 'kind', e.actor_kind,
    'membershipId', e.actor_membership_id, 'roleDocumentVersionId', e.actor_role_document_version_id) as actor,
  ${isoTime('e.created_at')} as "createdAt", e.id, e.payload,
  json_build_object('fallbackText', e.fallback_text, 'rendererKey', e.type, 'rendererVersion', 1, 'slot', e.slot)
    as render,
  e.schema_version as "schemaVersion", e.seq, json_build_object('id', e.subject_id, 'kind', e.subject_kind) as subject,
  e.type`;

/** A RoomMessage's fields as the JSON's names (toMessage's), from the room_messages row aliased `m`. */
const MESSAGE_JSON = `m.actor_display_name as "actorDisplayName", m.actor_kind as "actorKind",
  m.actor_membership_id as "actorMembershipId", m.actor_role_document_version as "actorRoleDocumentVersion",
  m.actor_role_document_version_id as "actorRoleDocumentVersionId", m.body, m.body_format as "bodyFormat",
  m.branched_from_message_id as "branchedFromMessageId", ${isoTime('m.created_at')} as "createdAt",
  ${isoTime('m.deleted_at')} as "deletedAt", ${isoTime('m.edited_at')} as "editedAt", m.id, m.refs,
  m.room_id as "roomId", m.run_summary as "runSummary", m.seq, ${isoTime('m.updated_at')} as "updatedAt"`;

/**
 * The read check of the hot reads as the relation `verdict` ($1 the room, $<reader> the caller): `ok` when the
 * caller is a current human participant, else `refused` (RoomAccess.current then says which refusal: 404 or 403).
 */
const verdictSql = (reader: number) =>
  `verdict as (
    select case when exists (
      select from room_participants p
      where p.room_id = $1::uuid and p.participant_kind = 'human' and p.membership_id = $${reader}::uuid
        and p.left_at is null
    ) then 'ok' else 'refused' end as verdict
  )`;

/**
 * A page of the room's events for a reader, ascending by seq ($1 the room, $2 limit, $3 the reader, $4 the bound
 * unless the latest page is asked for). Its row: the verdict (verdictSql), and when ok a RoomEventList's JSON text.
 */
function eventListStatement(shape: SeqShape): (limit: number) => Statement {
  return sizedStatement(
    `rooms_event_page_${shape}`,
    (size) => `with ${verdictSql(3)}, ${seqPageSql(shape, 4, size)}
    select v.verdict, case when v.verdict = 'ok' then '{"items":' || coalesce((
        select json_agg(r)::text from (select ${EVENT_JSON} from page e order by e.seq) r), '[]') || '}' end
    from verdict v`,
  );
}

/**
 * A page of the room's timeline for a reader ($1 the room, $2 limit, $3 the reader, $4 and $5 the bounds the
 * `hasMore*` flags test below and above when the page is empty, $6 the bound unless the latest page is asked
 * for). Its row: the verdict (verdictSql), and when ok a RoomTimeline's JSON text, `latestSeq` the room's, read in
 * the same snapshot as the page. The flags compare the page's ends with the room's first and last seq (each one
 * step of the (room_id, seq) index): an `exists (... seq > bound)` was planned as a scan of the whole log. Each `message.posted` event carries its message in its current state, when the
 * room has it (`kind: message`).
 */
function timelineStatement(shape: SeqShape): (limit: number) => Statement {
  return sizedStatement(
    `rooms_timeline_${shape}`,
    (size) => `with ${verdictSql(3)}, ${seqPageSql(shape, 6, size)}
    select v.verdict, case when v.verdict = 'ok' then '{"endSeq":' || coalesce(b.hi::text, 'null')
      || ',"hasMoreAfter":' || case
          when (select max(x.seq) from room_events x where x.room_id = $1::uuid) > coalesce(b.hi, $5::bigint)
          then 'true' else 'false' end
      || ',"hasMoreBefore":' || case
          when (select min(x.seq) from room_events x where x.room_id = $1::uuid) < coalesce(b.lo, $4::bigint)
          then 'true' else 'false' end
      || ',"items":' || coalesce((
        select json_agg(i)::text from (
          select (select row_to_json(v) from (select ${EVENT_JSON}) v) as event,
            case when mm.message is null then 'event' else 'message' end as kind, mm.message, e.seq
          from page e
          left join lateral (
            select row_to_json(x) as message from (
              select ${MESSAGE_JSON} from room_messages m
              where e.type = 'message.posted' and m.room_id = e.room_id and m.id = e.subject_id
            ) x
          ) mm on true
          order by e.seq
        ) i), '[]')
      || ',"latestSeq":' || (select r.last_seq from rooms r where r.id = $1::uuid)
      || ',"startSeq":' || coalesce(b.lo::text, 'null') || '}' end
    from verdict v, (select min(p.seq) as lo, max(p.seq) as hi from page p) b`,
  );
}

const EVENT_LIST_STATEMENTS = {
  latest: eventListStatement('latest'),
  after: eventListStatement('after'),
  before: eventListStatement('before'),
} as const;

const TIMELINE_STATEMENTS = {
  latest: timelineStatement('latest'),
  after: timelineStatement('after'),
  before: timelineStatement('before'),
} as const;

/** A SeqPage's bound, the last value of its statement's when there is one (a statement takes no unused value). */
const boundOf = (page: SeqPage): number[] => {
  const bound = page.afterSeq ?? page.beforeSeq;
  return bound == null ? [] : [bound];
};

/** The statement and values of a reader's event page (the benchmark's limit server sends them as they are). */
export function eventPageQuery(roomId: string, readerId: string, page: SeqPage): BoundStatement {
  return {
    sql: EVENT_LIST_STATEMENTS[seqShapeOf(page)](page.limit),
    values: [roomId, page.limit, readerId, ...boundOf(page)],
  };
}

/** The room's events of a SeqPage, ascending by seq, as the RoomEventList's JSON text, if `readerId` may read them. */
export function renderEventPage(
  db: Db,
  roomId: string,
  readerId: string,
  page: SeqPage,
): Promise<Checked<T.RoomEventList, 'refused'>> {
  const { sql, values } = eventPageQuery(roomId, readerId, page);
  return renderChecked(db, sql, values);
}

/** The statement and values of a reader's timeline page (the benchmark's limit server sends them as they are). */
export function timelinePageQuery(roomId: string, readerId: string, page: SeqPage): BoundStatement {
  const below = page.afterSeq != null ? page.afterSeq + 1 : (page.beforeSeq ?? 0);
  const above = page.beforeSeq != null ? page.beforeSeq - 1 : (page.afterSeq ?? 0);
  return {
    sql: TIMELINE_STATEMENTS[seqShapeOf(page)](page.limit),
    values: [roomId, page.limit, readerId, below, above, ...boundOf(page)],
  };
}

/**
 * A page of the room's timeline as the RoomTimeline's JSON text, if `readerId` may read it: what timelinePage
 * (timeline.ts) answers. With an empty page the `hasMore*` flags test the requested bound itself.
 */
export function renderTimelinePage(
  db: Db,
  roomId: string,
  readerId: string,
  page: SeqPage,
): Promise<Checked<T.RoomTimeline, 'refused'>> {
  const { sql, values } = timelinePageQuery(roomId, readerId, page);
  return renderChecked(db, sql, values);
}

/** Whether the room has an event with a seq below (`<`) or above (`>`) `seq`. */
export async function hasEvents(db: Db, roomId: string, op: '<' | '>', seq: number): Promise<boolean> {
  const row = await db('room_events').where('roomId', roomId).where('seq', op, seq).first(db.raw('1 as one'));
  return !!row;
}

/** A deleted message's body and refs leave the payloads of its `message.posted` and `message.edited` events. */
export async function stripDeletedMessageFromEvents(t: Transaction, roomId: string, messageId: string): Promise<void> {
  await t('room_events')
    .where({ roomId, subjectKind: 'message', subjectId: messageId })
    .whereIn('type', ['message.posted', 'message.edited'])
    .update({ payload: t.raw(`payload || '{"body": "", "refs": []}'::jsonb`) });
}

// --- Messages: posting, the timeline, an agent's tools -------------------------------------------------------

/**
 * The insert of a message returning its RoomMessage JSON text, compiled once ($1 id, $2 room, $3 seq, $4 participant,
 * $5 actor kind, $6 actor membership, $7 display name, $8 role document version id, $9 its version number, $10 body,
 * $11 body format, $12 refs, $13 branched from, $14 run summary, $15 edited, $16 deleted, $17 created, $18 updated).
 */
const INSERT_MESSAGE_STATEMENT = statement(
  'room_messages_insert',
  `with m as (
    insert into room_messages (id, room_id, seq, participant_id, actor_kind, actor_membership_id, actor_display_name,
      actor_role_document_version_id, actor_role_document_version, body, body_format, refs, branched_from_message_id,
      run_summary, edited_at, deleted_at, created_at, updated_at)
    values ($1::uuid, $2::uuid, $3::bigint, $4::uuid, $5::text, $6::uuid, $7::text, $8::uuid, $9::integer, $10::text,
      $11::text, $12::jsonb, $13::uuid, $14::jsonb, $15::timestamptz, $16::timestamptz, $17::timestamptz,
      $18::timestamptz)
    returning *)
  select row_to_json(r)::text from (select ${MESSAGE_JSON} from m) r`,
);

/**
 * Inserts a message row and renders it, in one statement: the RoomMessage postRoomMessage answers, with no row
 * parsed or stringified here (the benchmark's bare server keeps a knex insert and wire.ts's toMessage).
 */
export async function renderInsertedMessage(
  t: Transaction,
  row: Columns<RoomMessage>,
): Promise<Rendered<T.RoomMessage>> {
  return renderPage<T.RoomMessage>(t, INSERT_MESSAGE_STATEMENT, [
    row.id,
    row.roomId,
    row.seq,
    row.participantId,
    row.actorKind,
    row.actorMembershipId,
    row.actorDisplayName,
    row.actorRoleDocumentVersionId,
    row.actorRoleDocumentVersion,
    row.body,
    row.bodyFormat,
    JSON.stringify(row.refs),
    row.branchedFromMessageId,
    row.runSummary === null ? null : JSON.stringify(row.runSummary),
    row.editedAt,
    row.deletedAt,
    row.createdAt,
    row.updatedAt,
  ]);
}

/** The room's messages among `ids` (those a page of events posted), in no particular order. */
export async function messagesByIds(db: Db, roomId: string, ids: string[]): Promise<RoomMessage[]> {
  return (await db('room_messages')
    .select('room_messages.*')
    .where('roomId', roomId)
    .whereIn('id', ids)) as RoomMessage[];
}

/** A message as an agent's tools show it. */
export interface MessageLine {
  seq: string | number;
  actorDisplayName: string;
  body: string;
}

/** The room's messages that are not deleted. */
const visibleMessages = (db: Db, roomId: string) => db('room_messages').where('roomId', roomId).whereNull('deletedAt');

/** The room's `limit` most recent visible messages, newest first. */
export async function recentMessages(db: Db, roomId: string, limit: number): Promise<MessageLine[]> {
  return visibleMessages(db, roomId).orderBy('seq', 'desc').limit(limit).select('seq', 'actorDisplayName', 'body');
}

/**
 * The room's visible messages containing `text` (case-insensitive; `%`, `_` and `\` in it match themselves),
 * newest first, at most `limit`.
 */
export async function messagesContaining(db: Db, roomId: string, text: string, limit: number): Promise<MessageLine[]> {
  const pattern = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return visibleMessages(db, roomId)
    .whereILike('body', pattern)
    .orderBy('seq', 'desc')
    .limit(limit)
    .select('seq', 'actorDisplayName', 'body');
}

/** The latest version of the room's rules document; undefined when the room has none. */
export async function roomRules(
  db: Db,
  roomId: string,
): Promise<{ displayName: string; version: number; body: string } | undefined> {
  return db('rooms as r')
    .join('room_documents as d', 'd.id', 'r.rulesDocumentId')
    .join('room_document_versions as v', (j) => j.on('v.documentId', 'd.id').andOn('v.version', 'd.latestVersion'))
    .where('r.id', roomId)
    .first('v.displayName', 'v.version', 'v.body');
}

// --- Agent runs ----------------------------------------------------------------------------------------------

/**
 * Row-locks the oldest queued run outside the rooms `skipRoomIds`, or undefined. SKIP LOCKED: a run another
 * worker is claiming is passed over, so exactly one worker gets each run.
 */
export async function lockOldestQueuedRun(t: Transaction, skipRoomIds: string[]): Promise<RoomRun | undefined> {
  return t('room_runs')
    .where('status', 'queued')
    .whereNotIn('roomId', skipRoomIds)
    .orderBy([{ column: 'createdAt' }, { column: 'id' }])
    .limit(1)
    .forUpdate()
    .skipLocked()
    .first();
}

/** How many of the room's runs are running. */
export async function countRunningRuns(t: Transaction, roomId: string): Promise<number> {
  const counted = (await t('room_runs').where({ roomId, status: 'running' }).count({ running: '*' })) as Array<{
    running: string | number;
  }>;
  return Number(counted[0]?.running ?? 0);
}

/** Runs queued and running in every room (the partial indexes on each status serve it): a metrics gauge. */
export async function countOpenRuns(db: Db): Promise<{ queued: number; running: number }> {
  const rows = (await db('room_runs')
    .whereIn('status', ['queued', 'running'])
    .groupBy('status')
    .select('status')
    .count({ n: '*' })) as Array<{ status: string; n: string | number }>;
  const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { queued: of('queued'), running: of('running') };
}

/** Moves a running run's heartbeat to `now`; false when the run is no longer running (nothing written). */
export async function recordHeartbeat(db: Db, runId: string, now: Date): Promise<boolean> {
  return (await db('room_runs').where({ id: runId, status: 'running' }).update({ heartbeatAt: now })) > 0;
}

/** Running runs whose heartbeat is older than `before`, stalest first, at most `limit`. */
export async function staleRuns(db: Db, before: Date, limit: number): Promise<Array<Pick<RoomRun, 'id' | 'roomId'>>> {
  return db('room_runs')
    .where('status', 'running')
    .where('heartbeatAt', '<', before)
    .orderBy('heartbeatAt')
    .limit(limit)
    .select('id', 'roomId');
}

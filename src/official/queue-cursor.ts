// The CS queue's order and its page cursor. The queue is ordered by (status priority, updated_at, id), and
// a cursor is the last entry's position in that order: the next page is the keyset `> position`, which the
// index conversations_queue_idx (community_id, priority, updated_at, id) answers in the same time whatever
// the queue's length. `updated_at` travels with its microseconds (the database's precision), so that no
// entry is repeated or skipped by rounding. The status filter is part of the cursor: a cursor is only valid
// with the filter it was returned for.
import type { ConversationStatus } from '../conversations/index.js';
import { validationFailed } from '../platform/errors.js';

/** Status priority in the queue: the lower, the earlier. */
export const QUEUE_PRIORITY: Readonly<Record<ConversationStatus, number>> = {
  waiting_human: 0,
  human_active: 1,
  ai_active: 2,
  resolved: 3,
};

/** The priority as SQL over `column`; the same expression as conversations_queue_idx's, so the index serves it. */
export function queuePrioritySql(column: string): string {
  const [last, ...earlier] = Object.entries(QUEUE_PRIORITY).sort(([, a], [, b]) => b - a);
  return `case ${column} ${earlier
    .reverse()
    .map(([status, p]) => `when '${status}' then ${p}`)
    .join(' ')} else ${last![1]} end`;
}

/** `updated_at` as UTC text with microseconds, as the database compares it: the cursor's waiting time. */
export const waitingSinceSql = (column: string): string =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export interface QueuePosition {
  priority: number;
  /** `updated_at`, RFC 3339 UTC with 6 fractional digits. */
  waitingSince: string;
  id: string;
}

/** The cursor format's version, its array's first element (the rendered queue page writes it too: queries.ts). */
export const QUEUE_CURSOR_VERSION = 1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROSECOND_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export function encodeQueueCursor(status: ConversationStatus | undefined, position: QueuePosition): string {
  return Buffer.from(
    JSON.stringify([QUEUE_CURSOR_VERSION, status ?? null, position.priority, position.waitingSince, position.id]),
  ).toString('base64url');
}

/** A real instant (no 30 February) the database accepts (years 1970 to 9999). */
function isInstant(text: string): boolean {
  if (!MICROSECOND_UTC.test(text)) return false;
  const date = new Date(text);
  return (
    !Number.isNaN(date.getTime()) &&
    date.getUTCFullYear() >= 1970 &&
    date.toISOString().slice(0, 23) === text.slice(0, 23)
  );
}

const badCursor = (message: string) => validationFailed([{ in: 'query', field: 'cursor', message }]);

/** The position a cursor names; 400 naming `cursor` for anything this server did not hand out with `status`. */
export function decodeQueueCursor(cursor: string, status: ConversationStatus | undefined): QueuePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor('is not a cursor returned by this operation (pass `nextCursor` unchanged)');
  }
  if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== QUEUE_CURSOR_VERSION)
    throw badCursor('is not a cursor returned by this operation (pass `nextCursor` unchanged)');
  const [, cursorStatus, priority, waitingSince, id] = parsed as unknown[];
  const known =
    cursorStatus === null || (typeof cursorStatus === 'string' && Object.hasOwn(QUEUE_PRIORITY, cursorStatus));
  const valid =
    known &&
    Number.isInteger(priority) &&
    (priority as number) >= 0 &&
    (priority as number) <= 3 &&
    typeof waitingSince === 'string' &&
    isInstant(waitingSince) &&
    typeof id === 'string' &&
    UUID.test(id) &&
    (cursorStatus === null || QUEUE_PRIORITY[cursorStatus as ConversationStatus] === priority);
  if (!valid) throw badCursor('is not a cursor returned by this operation (pass `nextCursor` unchanged)');
  if ((cursorStatus ?? undefined) !== status) {
    throw badCursor(
      `was returned for ${cursorStatus ? `status=${cursorStatus}` : 'every status'}: pass the same \`status\` with it`,
    );
  }
  return { priority: priority as number, waitingSince: waitingSince as string, id: id as string };
}

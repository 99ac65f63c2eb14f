// Reading the event log: pages of events by seq, and the timeline (events with messages in their current
// state). Pages are ascending by seq; `hasMoreBefore` / `hasMoreAfter` are read from the log itself.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Principal } from '../platform/principal.js';
import type { Checked, Rendered } from '../platform/rendered.js';
import type { Db } from '../platform/transactions.js';
import type { RoomAccess } from './access.js';
import { notAParticipant } from './errors.js';
import { eventPage, hasEvents, messagesByIds, renderEventPage, renderTimelinePage, type SeqPage } from './queries.js';
import { toEvent, toMessage } from './wire.js';

export type { SeqPage };

export class TimelineService {
  constructor(
    private readonly db: Knex,
    private readonly access: RoomAccess,
  ) {}

  /** Hot path: one statement checks the caller and renders the body (queries.ts). */
  async events(principal: Principal, roomId: string, page: SeqPage): Promise<Rendered<T.RoomEventList>> {
    return this.checked(principal, roomId, () => renderEventPage(this.db, roomId, principal.user.id, page));
  }

  /**
   * Hot path: one statement checks the caller and renders the page, the `hasMore*` flags and `latestSeq`, all
   * from one snapshot (queries.ts).
   */
  async timeline(principal: Principal, roomId: string, page: SeqPage): Promise<Rendered<T.RoomTimeline>> {
    return this.checked(principal, roomId, () => renderTimelinePage(this.db, roomId, principal.user.id, page));
  }

  /**
   * A read whose statement checks that the caller is a current participant. Refused, RoomAccess says why (404 or
   * 403, as every room operation does); a caller it lets through became a participant in between, and is read again.
   */
  private async checked<B>(
    principal: Principal,
    roomId: string,
    read: () => Promise<Checked<B, 'refused'>>,
  ): Promise<Rendered<B>> {
    const first = await read();
    if (first.verdict === 'ok') return first.body;
    await this.access.current(this.db, principal, roomId);
    const again = await read();
    if (again.verdict === 'ok') return again.body;
    throw notAParticipant();
  }
}

/**
 * A page of the timeline of a room whose newest event is `latestSeq`: events with their messages in their
 * current state, and whether there is more either side. The hand-written knex read mapped in JavaScript, which
 * the benchmark's bare server runs in one snapshot (the service renders the same body: renderTimelinePage).
 */
export async function timelinePage(db: Db, roomId: string, latestSeq: number, page: SeqPage): Promise<T.RoomTimeline> {
  const events = await eventPage(db, roomId, page);
  const postedIds = events.filter((e) => e.type === 'message.posted').map((e) => e.subjectId);
  const messages = postedIds.length ? await messagesByIds(db, roomId, postedIds) : [];
  const byId = new Map(messages.map((m) => [m.id, m]));
  const items = events.map((e): T.RoomTimelineItem => {
    const message = e.type === 'message.posted' ? byId.get(e.subjectId) : undefined;
    return {
      event: toEvent(e),
      kind: message ? 'message' : 'event',
      message: message ? toMessage(message) : null,
      seq: Number(e.seq),
    };
  });
  const startSeq = items[0]?.seq ?? null;
  const endSeq = items.at(-1)?.seq ?? null;
  // Bounds to test for more, when the page is empty: the requested bound itself.
  const before = startSeq ?? (page.afterSeq != null ? page.afterSeq + 1 : (page.beforeSeq ?? 0));
  const after = endSeq ?? (page.beforeSeq != null ? page.beforeSeq - 1 : (page.afterSeq ?? 0));
  const [hasMoreBefore, hasMoreAfter] = await Promise.all([
    hasEvents(db, roomId, '<', before),
    hasEvents(db, roomId, '>', after),
  ]);
  return { endSeq, hasMoreAfter, hasMoreBefore, items, latestSeq, startSeq };
}

// Reading the event log: pages of events by seq, and the timeline (events with messages in their current
// state). Pages are ascending by seq; `hasMoreBefore` / `hasMoreAfter` are read from the log itself.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Principal } from '../platform/principal.js';
import type { Rendered } from '../platform/rendered.js';
import { inTransaction, type Db } from '../platform/transactions.js';
import type { RoomAccess } from './access.js';
import {
  eventPage,
  hasEvents,
  messagesByIds,
  renderEventPage,
  renderTimelinePage,
  type SeqPage,
  useReadOnlySnapshot,
} from './queries.js';
import { toEvent, toMessage } from './wire.js';

export type { SeqPage };

export class TimelineService {
  constructor(
    private readonly db: Knex,
    private readonly access: RoomAccess,
  ) {}

  /** Hot path: the access read, then one statement rendering the body (queries.ts). */
  async events(principal: Principal, roomId: string, page: SeqPage): Promise<Rendered<T.RoomEventList>> {
    await this.access.current(this.db, principal, roomId);
    return renderEventPage(this.db, roomId, page);
  }

  /**
   * Read in one snapshot, so `latestSeq` (the access read's room), the page and the `hasMore*` flags agree with
   * each other; the page and the flags are one statement rendering the body (queries.ts).
   */
  async timeline(principal: Principal, roomId: string, page: SeqPage): Promise<Rendered<T.RoomTimeline>> {
    return inTransaction(this.db, undefined, async (t) => {
      await useReadOnlySnapshot(t);
      const { room } = await this.access.current(t, principal, roomId);
      return renderTimelinePage(t, roomId, Number(room.lastSeq), page);
    });
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

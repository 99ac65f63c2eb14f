// Reading the event log: pages of events by seq, and the timeline (events with messages in their current
// state). Pages are ascending by seq; `hasMoreBefore` / `hasMoreAfter` are read from the log itself.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { Principal } from '../platform/principal.js';
import { inTransaction, type Db } from '../platform/transactions.js';
import type { RoomAccess } from './access.js';
import { eventPage, hasEvents, messagesByIds, type SeqPage, useReadOnlySnapshot } from './queries.js';
import { toEvent, toMessage } from './wire.js';

export type { SeqPage };

export class TimelineService {
  constructor(
    private readonly db: Knex,
    private readonly access: RoomAccess,
  ) {}

  async events(principal: Principal, roomId: string, page: SeqPage): Promise<T.RoomEventList> {
    await this.access.current(this.db, principal, roomId);
    return { items: (await eventPage(this.db, roomId, page)).map(toEvent) };
  }

  /** Read in one snapshot, so `latestSeq`, the page and the `hasMore*` flags agree with each other. */
  async timeline(principal: Principal, roomId: string, page: SeqPage): Promise<T.RoomTimeline> {
    return inTransaction(this.db, undefined, async (t) => {
      await useReadOnlySnapshot(t);
      return this.timelineIn(t, principal, roomId, page);
    });
  }

  private async timelineIn(db: Db, principal: Principal, roomId: string, page: SeqPage): Promise<T.RoomTimeline> {
    const { room } = await this.access.current(db, principal, roomId);
    return timelinePage(db, roomId, Number(room.lastSeq), page);
  }
}

/**
 * A page of the timeline of a room whose newest event is `latestSeq`: events with their messages in their
 * current state, and whether there is more either side. TimelineService.timeline runs it in one snapshot, and
 * so does the benchmark's bare server.
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

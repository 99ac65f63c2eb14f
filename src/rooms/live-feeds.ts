// Live room events, per process: one feed per room that someone here follows, shared by all its followers.
// The database notifies every commit to room_events (`room_events` channel, payload `<room_id>:<seq>`, sent by
// a trigger: see the migration); a feed then reads `seq > lastSeq` once, however many clients follow the
// room, and hands the same event objects to each follower's buffer (so each is also serialized once). A
// notification for a seq the feed has already read costs nothing; one that arrives during a read makes it
// read again. When the bus had to reconnect, every feed reads what is new.
//
// Each follower's buffer holds at most `bufferEvents` events its client has not read yet; past that the
// follower is cut off (its client reconnects and resumes from the log), so a slow client never slows the
// feed or anyone else, and never holds more than that.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { StreamEvent } from '../../generated/server/index.js';
import type { EventBus } from '../realtime/event-bus.js';
import type { CutOffReason } from '../platform/metrics.js';
import type { Committed } from '../realtime/stream-signals.js';
import type { Db } from '../platform/transactions.js';
import { eventPage } from './queries.js';
import { toEvent } from './wire.js';

export const CHANNEL = 'room_events';
/** Events read from the log per query (backfill and live). */
export const PAGE = 200;

/** One room event as it is streamed: `id:` is its seq. A live one says when it was created (delivery lag). */
export interface Item extends StreamEvent<T.RoomEvent>, Committed {
  id: number;
}

/** Events of the room after `afterSeq`, oldest first, at most `limit`. */
export async function readAfter(db: Db, roomId: string, afterSeq: number, limit = PAGE): Promise<Item[]> {
  const rows = await eventPage(db, roomId, { afterSeq, limit });
  return rows.map((row) => ({ id: Number(row.seq), data: toEvent(row) }));
}

/** One client's place in a feed: the live events it has not taken yet, bounded. */
export class Follower {
  private queue: Item[] = [];
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly controller = new AbortController();
  /** Aborted when the client is to be disconnected without the stream's end (too far behind, or a read failed). */
  readonly cutOff = this.controller.signal;
  /** Why it was cut off, when a read failed. */
  error: unknown;

  constructor(
    private readonly bufferEvents: number,
    /** Told why, when the client is cut off (metrics). */
    private readonly onCut: (reason: CutOffReason) => void = () => undefined,
  ) {}

  get done(): boolean {
    return this.stopped || this.cutOff.aborted;
  }

  push(items: Item[]): void {
    if (this.done) return;
    this.queue.push(...items);
    if (this.queue.length > this.bufferEvents) this.cut(undefined, 'slow_client');
    this.wake?.();
  }

  /** Cuts the client off: its buffer is freed at once. */
  cut(error?: unknown, reason: CutOffReason = error === undefined ? 'shutdown' : 'read_failed'): void {
    if (this.done) return;
    this.onCut(reason);
    this.error = error;
    this.queue = [];
    this.controller.abort();
    this.wake?.();
  }

  /** The client went away (or the stream ended): whoever waits in `take` returns. */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.wake?.();
  }

  /** The events pushed since the last take, waiting for some; empty once `done`. */
  async take(): Promise<Item[]> {
    while (!this.queue.length && !this.done)
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    this.wake = undefined;
    const items = this.queue;
    this.queue = [];
    return this.done ? [] : items;
  }
}

class Feed {
  readonly followers = new Set<Follower>();
  private reading = false;
  private again = false;

  constructor(
    private readonly db: Knex,
    readonly roomId: string,
    private lastSeq: number,
  ) {}

  /** Something was committed (`seq`, or unknown after a reconnect): read what is new, once. */
  notified(seq?: number): void {
    if (seq !== undefined && seq <= this.lastSeq) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.read();
  }

  private async read(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const items = await readAfter(this.db, this.roomId, this.lastSeq);
          if (items.length) {
            this.lastSeq = items.at(-1)!.id;
            for (const item of items) item.committedAtMs = Date.parse(item.data.createdAt);
            for (const follower of this.followers) follower.push(items);
          }
          if (items.length < PAGE) break;
        }
      } while (this.again && this.followers.size);
    } catch (error) {
      // Its followers resume from the log when they reconnect; nothing is lost.
      for (const follower of this.followers) follower.cut(error);
    } finally {
      this.reading = false;
    }
  }
}

export class LiveFeeds {
  private readonly feeds = new Map<string, Feed>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly db: Knex,
    private readonly bus: EventBus,
  ) {}

  /**
   * Adds `follower` to the room's feed. `fromSeq`: what the follower has already read from the log; a new feed
   * starts there (the follower reads the log once more after joining, so nothing between is missed).
   */
  join(roomId: string, follower: Follower, fromSeq: number): void {
    if (this.closed) {
      follower.cut();
      return;
    }
    this.unsubscribe ??= this.bus.subscribe(CHANNEL, (message) => this.notified(message));
    let feed = this.feeds.get(roomId);
    if (!feed) this.feeds.set(roomId, (feed = new Feed(this.db, roomId, fromSeq)));
    feed.followers.add(follower);
  }

  leave(roomId: string, follower: Follower): void {
    const feed = this.feeds.get(roomId);
    if (!feed?.followers.delete(follower) || feed.followers.size) return;
    this.feeds.delete(roomId);
  }

  /** Followers in this process (of one room, or of all). */
  followers(roomId?: string): number {
    if (roomId !== undefined) return this.feeds.get(roomId)?.followers.size ?? 0;
    let n = 0;
    for (const feed of this.feeds.values()) n += feed.followers.size;
    return n;
  }

  /** Cuts every follower off (a graceful stop: their clients resume, on another instance). */
  cutAll(): void {
    for (const feed of this.feeds.values()) for (const follower of feed.followers) follower.cut();
    this.feeds.clear();
  }

  /** Cuts every follower off, takes no new ones and stops listening. */
  close(): void {
    this.closed = true;
    this.cutAll();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private notified(message: string | undefined): void {
    if (message === undefined) {
      for (const feed of this.feeds.values()) feed.notified();
      return;
    }
    const at = message.lastIndexOf(':');
    this.feeds.get(message.slice(0, at))?.notified(Number(message.slice(at + 1)));
  }
}

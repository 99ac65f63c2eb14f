// A client's live stream of a room's events: from the resume point (Last-Event-ID, else afterSeq, else the
// room's latest seq), first the backfill read from the log a page at a time, as fast as the client reads;
// then the client joins the room's live feed (live-feeds.ts) and reads the log once more, since events may
// have committed between its last page and joining. From then on it takes what the feed hands it. Every
// event is sent once, ascending: anything at or below the last seq sent is skipped (the feed and that last
// read overlap). The stream ends after the caller's own `participant.left` / `participant.removed`.
//
// What allowed the stream bounds it too: it is cut off when the credential it was opened with ends
// (sign-out, key deletion, expiry: src/realtime/credential-ends.ts; the client's reconnect then gets 401),
// and each user holds at most `quota.max` streams in this process (429 TOO_MANY_STREAMS past it).
//
// A stream ticket (src/auth/stream-tickets.ts) opens its own room's stream only (401 for another), and is held
// while the stream is open, so the EventSource's reconnects with it keep working.
import type { Knex } from 'knex';
import type * as T from '../../generated/server/schemas.gen.js';
import type { CutOff, Unnamed } from '../realtime/stream-signals.js';
import { unauthenticated } from '../platform/errors.js';
import { NO_METRICS, type Recorder } from '../platform/metrics.js';
import type { Principal } from '../platform/principal.js';
import type { CredentialWatch } from '../realtime/credential-ends.js';
import type { StreamQuota } from '../realtime/stream-quota.js';
import type { RoomAccess } from './access.js';
import { tooManyStreams } from './errors.js';
import { Follower, PAGE, readAfter, type Item, type LiveFeeds } from './live-feeds.js';

export interface StreamSettings {
  /** Live events a client may be behind before it is cut off (and resumes from the log). */
  bufferEvents: number;
  /** Ends streams whose credential ended. */
  credentials: CredentialWatch;
  /** Open streams per user. */
  quota: StreamQuota;
  /** Issues stream tickets, and keeps those of open streams alive. */
  tickets: StreamTicketIssuer;
}

export interface StreamTicketIssuer {
  issue(principal: Principal, roomId: string): Promise<{ ticket: string; expiresAt: Date }>;
  /** Keeps the ticket alive while a stream uses it; the function returned lets go. */
  hold(ticketId: string): () => void;
}

export interface StreamOpenOptions {
  /** Send no `event:` names (every event reaches an EventSource's `onmessage`). */
  unnamed?: boolean;
}

export type RoomStream = AsyncIterableIterator<Item> & CutOff & Unnamed;

export class RoomStreams {
  constructor(
    private readonly db: Knex,
    private readonly access: RoomAccess,
    readonly feeds: LiveFeeds,
    private readonly settings: StreamSettings,
    private readonly metrics: Recorder = NO_METRICS,
  ) {}

  /** The credentials of this process's open streams. */
  get credentials(): CredentialWatch {
    return this.settings.credentials;
  }

  /** A ticket for this room's stream, for a current participant (404 / 403 otherwise). */
  async ticket(principal: Principal, roomId: string): Promise<T.RoomStreamTicket> {
    await this.access.current(this.db, principal, roomId);
    const { ticket, expiresAt } = await this.settings.tickets.issue(principal, roomId);
    const query = new URLSearchParams({ ticket, eventName: 'message' });
    return {
      ticket,
      roomId,
      expiresAt: expiresAt.toISOString(),
      streamPath: `/api/v1/rooms/${roomId}/stream?${query}`,
    };
  }

  /** Checks access and the caller's stream count now (404 / 403 / 429 before the stream starts), then streams from `resumeFrom`. */
  async open(
    principal: Principal,
    roomId: string,
    resumeFrom: number | undefined,
    options: StreamOpenOptions = {},
  ): Promise<RoomStream> {
    if (principal.ticket && principal.ticket.roomId !== roomId) throw unauthenticated();
    const { room, participant } = await this.access.current(this.db, principal, roomId);
    const giveBack = this.settings.quota.take(principal.user.id);
    if (!giveBack) throw tooManyStreams(this.settings.quota.max);
    const letGo = principal.ticket ? this.settings.tickets.hold(principal.ticket.id) : undefined;
    // The participant was current after the room's latest seq was read: a leave or removal of theirs with a
    // higher seq is this membership's end; one at or below it ended an earlier membership (they rejoined).
    const openedAt = Number(room.lastSeq);
    const from = Math.min(resumeFrom ?? openedAt, openedAt);
    const ends = (item: Item) =>
      item.id > openedAt &&
      item.data.subject.id === participant.id &&
      (item.data.type === 'participant.left' || item.data.type === 'participant.removed');

    const follower = new Follower(this.settings.bufferEvents, (reason) => this.metrics.streamCutOff('room', reason));
    const unwatch = this.settings.credentials.watch(principal.credentialId, () =>
      follower.cut(undefined, 'credential_ended'),
    );
    let closed = false;
    /** The stream is over, however it ended: its place and its watch are given back (once). */
    const close = () => {
      if (closed) return;
      closed = true;
      unwatch();
      giveBack();
      letGo?.();
    };
    const { db, feeds } = this;
    const events = async function* (): AsyncGenerator<Item, void> {
      let last = from;
      /** The log after `last`, a page at a time; false once the stream is over. */
      const fromLog = async function* (): AsyncGenerator<Item, boolean> {
        for (;;) {
          const page = await readAfter(db, roomId, last);
          for (const item of page) {
            yield item;
            last = item.id;
            if (ends(item)) return false;
          }
          if (page.length < PAGE) return true;
        }
      };
      try {
        if (!(yield* fromLog())) return;
        feeds.join(roomId, follower, last);
        try {
          if (!(yield* fromLog())) return;
          for (;;) {
            const items = await follower.take();
            if (follower.done) break;
            for (const item of items) {
              if (item.id <= last) continue;
              yield item;
              last = item.id;
              if (ends(item)) return;
            }
          }
        } finally {
          feeds.leave(roomId, follower);
        }
        if (follower.error) throw follower.error;
      } catch (error) {
        follower.cut(error); // the client resumes from where it got to
        throw error;
      } finally {
        close();
      }
    };
    const generator = events();
    const stream: RoomStream = {
      cutOff: follower.cutOff,
      unnamed: options.unnamed === true,
      [Symbol.asyncIterator]: () => stream,
      next: () => generator.next(),
      // The writer stops (client gone): a wait for live events returns at once, so the generator finishes.
      return: async () => {
        follower.stop();
        close(); // also when the stream never started (HEAD), where the generator's `finally` does not run
        return generator.return(undefined);
      },
    };
    return stream;
  }
}

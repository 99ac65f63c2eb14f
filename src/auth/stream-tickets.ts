// Stream tickets: what a browser's native EventSource, which cannot send headers and sends no cookie to another
// site, authenticates a room stream with (`?ticket=`). A ticket opens one room's stream, as the user whose
// session or API key asked for it, and only while that credential works. Unused, it expires TTL after it was
// issued. An EventSource reconnects by itself to the same URL (after a dropped connection, a server restart),
// so a ticket is not spent by its first use: each connection, and every REFRESH while one is open (on any
// instance: the expiry is in the database), pushes its expiry to TTL from then. A leaked URL stops working
// TTL after the last stream using it closed. Stored as a SHA-256 hash, like sessions.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Clock } from '../platform/clock.js';
import type { Principal } from '../platform/principal.js';
import { deleteSpentTickets, extendTickets, findTicketParent, insertTicket, redeemTicket } from './queries.js';
import { hashToken } from './tokens.js';
import { toUser } from './wire.js';

export const TICKET_TTL_MS = 60_000;
/** How often an instance pushes on the tickets its open streams use: well within TTL. */
export const TICKET_REFRESH_MS = 20_000;

export class StreamTickets {
  constructor(
    private readonly db: Knex,
    private readonly clock: Clock,
  ) {}

  /** A new ticket for `roomId` (the caller's access to it was checked by the rooms area). */
  async issue(principal: Principal, roomId: string): Promise<{ ticket: string; expiresAt: Date }> {
    if (principal.ticket) throw new Error('a stream ticket cannot issue tickets');
    const now = this.clock.now();
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + TICKET_TTL_MS);
    await deleteSpentTickets(this.db, principal.user.id, now);
    await insertTicket(this.db, {
      tokenHash: hashToken(ticket),
      userId: principal.user.id,
      roomId,
      credentialKind: principal.method,
      credentialId: principal.credentialId,
      expiresAt,
    });
    return { ticket, expiresAt };
  }

  /**
   * The principal a ticket stands for, or undefined when it expired or its credential ended. Using it pushes
   * its expiry on (one statement, so instances racing on it agree).
   */
  async authenticate(ticket: string): Promise<Principal | undefined> {
    const now = this.clock.now();
    const row = await redeemTicket(this.db, hashToken(ticket), now, new Date(now.getTime() + TICKET_TTL_MS));
    if (!row) return undefined;
    const user = await findTicketParent(this.db, row, now);
    if (!user) return undefined;
    return {
      user: toUser(user),
      scheme: 'streamTicket',
      method: row.credentialKind,
      credentialId: row.credentialId,
      expiresAt: user.expiresAt,
      isAdmin: user.isAdmin,
      ticket: { id: row.id, roomId: row.roomId },
    };
  }

  /** Pushes on the expiry of tickets open streams use (those not expired already: an ended one stays ended). */
  async keepAlive(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const now = this.clock.now();
    await extendTickets(this.db, ids, now, new Date(now.getTime() + TICKET_TTL_MS));
  }
}

/** The tickets this process's open streams use, pushed on every TICKET_REFRESH_MS while any is held. */
export class TicketHolds {
  private readonly held = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  /** Where a failed refresh is reported (the next one tries again, well within the TTL). */
  onError: (error: Error) => void = () => undefined;

  constructor(
    private readonly tickets: Pick<StreamTickets, 'keepAlive'>,
    private readonly refreshMs = TICKET_REFRESH_MS,
  ) {}

  /** Holds the ticket while a stream uses it; the function returned lets go (once). */
  hold(ticketId: string): () => void {
    this.held.set(ticketId, (this.held.get(ticketId) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setInterval(() => void this.refresh(), this.refreshMs);
      this.timer.unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.held.get(ticketId) ?? 1) - 1;
      if (count > 0) this.held.set(ticketId, count);
      else this.held.delete(ticketId);
      if (this.held.size === 0) this.close();
    };
  }

  async refresh(): Promise<void> {
    try {
      await this.tickets.keepAlive([...this.held.keys()]);
    } catch (error) {
      this.onError(error as Error);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

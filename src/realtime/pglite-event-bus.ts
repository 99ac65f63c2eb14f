// The event bus on the embedded database: PGlite runs PostgreSQL in this process, with the same NOTIFY /
// LISTEN semantics (delivered at commit, never for a rollback), handed to a callback here. Its one session is
// shared with knex, so LISTEN goes through knex: it then never runs inside another caller's open transaction
// (where a rollback would silently undo it).
import type { PGlite } from '@electric-sql/pglite';
import type { Knex } from 'knex';
import { DatabaseEventBus } from './event-bus.js';

export class PgliteEventBus extends DatabaseEventBus {
  private readonly stop: () => void;
  private closed = false;

  constructor(
    knex: Knex,
    private readonly pglite: PGlite,
  ) {
    super(knex);
    this.stop = pglite.onNotification((channel, payload) => this.deliver(channel, payload));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
  }

  /** In the process: it listens as long as it and the embedded database are open. */
  async check(): Promise<string> {
    if (this.closed || this.pglite.closed) throw new Error('closed');
    return `listening in this process (embedded database), ${this.channels.length} channels`;
  }

  protected listen(channel: string): void {
    this.knex.raw('listen ??', [channel]).then(
      () => this.listening(channel),
      (error: Error) => this.onError(error),
    );
  }

  protected unlisten(channel: string): void {
    this.knex.raw('unlisten ??', [channel]).catch((error: Error) => this.onError(error));
  }
}

// The event bus behind live streams: PostgreSQL's NOTIFY / LISTEN, on either database. A writer's
// transaction sends a notification (room events: a trigger on their table, so every writer does), which
// the database delivers only once that transaction commits, in commit order; subscribers are told and read
// the new rows themselves. Messages carry ids, never the data: NOTIFY takes payloads under 8 kB, and the
// database stays the one source of what happened.
//
// Transports: on PostgreSQL one dedicated connection per process listens (postgres-event-bus.ts), so every
// instance on the database hears every commit; on PGlite the embedded database delivers its notifications
// within the process (pglite-event-bus.ts). Both behave the same above this interface.
import type { Knex } from 'knex';

/**
 * Called with each message on the channel, and with `undefined` whenever the bus starts listening on it
 * (first subscription, and again after a lost connection came back): messages sent before that moment may
 * have been missed, so read what is new.
 */
export type Listener = (message: string | undefined) => void;

export interface EventBus {
  /** Sends `message` on `channel` (NOTIFY), delivered to every listening process. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `listener` for `channel` until the returned function is called. */
  subscribe(channel: string, listener: Listener): () => void;
  /**
   * Readiness: resolves with what it found when the bus listens (or can: on PostgreSQL it opens its connection
   * if no stream has yet), rejects when it does not. The caller bounds the wait.
   */
  check(): Promise<string>;
  /** Where the bus reports a lost connection (it reconnects by itself). */
  onError: (error: Error) => void;
  close(): Promise<void>;
}

/** What both transports share: NOTIFY through the database, subscribers by channel, LISTEN on first use. */
export abstract class DatabaseEventBus implements EventBus {
  private readonly subscribers = new Map<string, Set<Listener>>();
  onError: (error: Error) => void = () => undefined;

  constructor(protected readonly knex: Knex) {}

  async publish(channel: string, message: string): Promise<void> {
    await this.knex.raw('select pg_notify(?, ?)', [channel, message]);
  }

  subscribe(channel: string, listener: Listener): () => void {
    let listeners = this.subscribers.get(channel);
    if (!listeners) this.subscribers.set(channel, (listeners = new Set()));
    listeners.add(listener);
    if (listeners.size === 1) this.listen(channel);
    return () => {
      if (!listeners.delete(listener) || listeners.size > 0) return;
      this.subscribers.delete(channel);
      this.unlisten(channel);
    };
  }

  abstract close(): Promise<void>;
  abstract check(): Promise<string>;

  /** Starts listening on `channel`, then calls `listening(channel)`. */
  protected abstract listen(channel: string): void;
  protected abstract unlisten(channel: string): void;

  protected get channels(): string[] {
    return [...this.subscribers.keys()];
  }

  protected deliver(channel: string, message: string | undefined): void {
    for (const listener of [...(this.subscribers.get(channel) ?? [])]) listener(message);
  }

  /** The bus listens on `channel` from now on: its subscribers catch up on what they may have missed. */
  protected listening(channel: string): void {
    this.deliver(channel, undefined);
  }
}

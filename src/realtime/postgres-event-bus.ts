// The event bus on PostgreSQL: one dedicated connection per process (not from the pool: a pooled connection
// is handed to others and LISTEN would be lost with it) runs LISTEN for the channels that have subscribers.
// It is opened on the first subscription. When it drops (a restart, a network cut, pg_terminate_backend),
// the bus reconnects with backoff, listens again, and tells every subscriber to read what is new: nothing
// committed meanwhile is missed, since subscribers read rows from the database, not from the messages.
import type { Knex } from 'knex';
import pg from 'pg';
import { DatabaseEventBus } from './event-bus.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** A server that accepts the connection but never answers must not leave the bus waiting forever. */
const CONNECT_TIMEOUT_MS = 5_000;
const quote = (channel: string) => `"${channel.replace(/"/g, '""')}"`;

export class PostgresEventBus extends DatabaseEventBus {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryMs = RETRY_MIN_MS;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private pid: number | undefined;
  private lastError: Error | undefined;
  /** Connections already given up on ('error' and 'end' both come for one loss). */
  private readonly gone = new WeakSet<pg.Client>();

  constructor(
    knex: Knex,
    private readonly connectionString: string,
  ) {
    super(knex);
  }

  /** The listening connection's backend pid (pg_stat_activity, pg_terminate_backend), once it listens. */
  get listenerPid(): number | undefined {
    return this.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Listening means a connection that answers: the one it has is pinged; without one (no stream yet, or lost)
   * it connects now, and keeps the connection for the streams to come.
   */
  async check(): Promise<string> {
    if (this.closed) throw new Error('closed');
    if (!this.client) {
      this.connect();
      await this.connecting;
    }
    const client = this.client;
    if (!client) throw Object.assign(new Error('not connected'), { cause: this.lastError });
    await client.query('select 1');
    return `listening, ${this.channels.length} channels`;
  }

  protected listen(channel: string): void {
    if (this.client) this.run(this.client, `listen ${quote(channel)}`, () => this.listening(channel));
    else this.connect();
  }

  protected unlisten(channel: string): void {
    if (this.client) this.run(this.client, `unlisten ${quote(channel)}`);
  }

  private connect(): void {
    if (this.connecting || this.client || this.closed) return;
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'platform-event-bus',
      keepAlive: true,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    client.on('notification', (n) => this.deliver(n.channel, n.payload ?? ''));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the event bus connection ended')));
    this.connecting = (async () => {
      await client.connect();
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const channels = this.channels;
      for (const channel of channels) await client.query(`listen ${quote(channel)}`);
      if (this.closed) throw new Error('closed while connecting');
      this.client = client;
      this.pid = pid;
      this.retryMs = RETRY_MIN_MS;
      for (const channel of channels) this.listening(channel);
      // Channels subscribed while connecting.
      for (const channel of this.channels.filter((c) => !channels.includes(c))) this.listen(channel);
    })()
      .catch((error: Error) => this.lost(client, error))
      .finally(() => {
        this.connecting = undefined;
      });
  }

  /** The connection is gone (or never came up): try again later, while anyone still listens. */
  private lost(client: pg.Client, error: Error): void {
    if (this.gone.has(client)) return;
    this.gone.add(client);
    if (this.client === client) this.client = undefined;
    void client.end().catch(() => undefined); // a failed LISTEN leaves it open: nothing on it is trusted now
    this.pid = undefined;
    this.lastError = error;
    if (this.closed) return;
    this.onError(error);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (this.channels.length) this.connect();
    }, this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(RETRY_MAX_MS, this.retryMs * 2);
  }

  private run(client: pg.Client, sql: string, then?: () => void): void {
    client.query(sql).then(
      () => then?.(),
      (error: Error) => this.lost(client, error),
    );
  }
}

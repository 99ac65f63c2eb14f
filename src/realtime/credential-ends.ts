// A stream lives no longer than the credential that opened it. Ending a session or an API key by a request
// (sign-out, key deletion) sends `NOTIFY credentials_ended, '<id>'` in the ending transaction: the database
// delivers it at commit to every instance (the event bus), and each cuts the streams it holds that were
// opened with that credential. The payload is the session's or key's row id, never its token.
//
// Notifications can be missed (sent while an instance's bus was reconnecting), and expiry sends none, so
// each instance also asks the database every `checkMs` which of the credentials its streams hold no longer
// work, and whenever its bus starts listening again. No stream outlives its credential by more than `checkMs`.
import type { Db } from '../platform/transactions.js';
import type { EventBus } from './event-bus.js';

export const CHANNEL = 'credentials_ended';

/** Tells every instance, when `db`'s transaction commits, that these sessions or API keys ended. */
export async function announceCredentialsEnded(db: Db, ids: readonly string[]): Promise<void> {
  for (const id of ids) await db.raw('select pg_notify(?, ?)', [CHANNEL, id]);
}

export interface CredentialWatchOptions {
  /** Of these credential ids, the ones that no longer work (the auth area answers). */
  ended(ids: string[]): Promise<string[]>;
  /** How often the credentials of open streams are checked. */
  checkMs: number;
}

/** The credentials this process's open streams were opened with, each with the way to end those streams. */
export class CredentialWatch {
  private readonly held = new Map<string, Set<() => void>>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  /** Where a failed check is reported (the next one tries again). */
  onError: (error: Error) => void = () => undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly options: CredentialWatchOptions,
  ) {}

  /** Calls `end` once the credential ends; the function returned stops watching (the stream closed first). */
  watch(credentialId: string, end: () => void): () => void {
    this.unsubscribe ??= this.bus.subscribe(CHANNEL, (id) => (id === undefined ? void this.check() : this.end(id)));
    let ends = this.held.get(credentialId);
    if (!ends) this.held.set(credentialId, (ends = new Set()));
    const entry = () => end(); // one entry per stream, even for the same `end`
    ends.add(entry);
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.options.checkMs);
      this.timer.unref();
    }
    return () => {
      ends.delete(entry);
      if (ends.size === 0 && this.held.get(credentialId) === ends) this.held.delete(credentialId);
      this.idle();
    };
  }

  /** Credentials watched now (by open streams). */
  get size(): number {
    return this.held.size;
  }

  /** Asks the database which watched credentials ended, and ends their streams (on the timer; tests call it too). */
  async check(): Promise<void> {
    if (this.checking || this.held.size === 0) return;
    this.checking = true;
    try {
      for (const id of await this.options.ended([...this.held.keys()])) this.end(id);
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.checking = false;
    }
  }

  /**
   * Stops checking (the app is closing). It keeps its subscription: the bus closes with the database, and an
   * UNLISTEN sent now would only wait for a connection that is being closed.
   */
  close(): void {
    this.held.clear();
    this.idle();
  }

  private end(credentialId: string): void {
    const ends = this.held.get(credentialId);
    if (!ends) return;
    this.held.delete(credentialId);
    for (const end of ends) end();
    this.idle();
  }

  /** No stream to watch: no timer either. */
  private idle(): void {
    if (this.held.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

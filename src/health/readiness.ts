// Readiness (`/readyz`): whether this instance should get traffic. Named checks run at once, each bounded by
// the timeout (READINESS_TIMEOUT_MS), so a dependency that hangs makes the answer 503 quickly instead of
// holding the probe. A check that is still waiting from an earlier probe is not started again (a hung
// database does not collect one pending query per probe): the new probe waits on the same one, bounded anew.
// Details are the server's own words (a timeout, an error code such as ECONNREFUSED): a database's or Redis's
// messages may name hosts and never reach a client; the log has them, once per change of state.
import type * as T from '../../generated/server/schemas.gen.js';
import type { Database } from '../platform/database.js';
import { pendingMigrations } from '../platform/migrate.js';
import type { Shutdown } from '../platform/shutdown.js';

export type CheckName = keyof T.ReadinessChecks;

/** Resolves with what it found (ok), or rejects (failing); a `ReadinessFailure`'s message is shown as is. */
export type Check = () => Promise<string>;

/** A failure whose message is safe to show to anyone (the server's own words). */
export class ReadinessFailure extends Error {}

interface Logger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export class Readiness {
  private readonly checks: Array<{ name: CheckName; run: Check }> = [];
  private readonly running = new Map<CheckName, { promise: Promise<string>; since: number }>();
  private readonly lastStatus = new Map<CheckName, 'ok' | 'failing'>();
  log: Logger | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Adds a check; they are answered in the order they were added. */
  add(name: CheckName, run: Check): this {
    this.checks.push({ name, run });
    return this;
  }

  async check(): Promise<T.ReadinessStatus> {
    const details = await Promise.all(this.checks.map(({ name, run }) => this.one(name, run)));
    const checks = Object.fromEntries(details.map((d) => [d.name, d.status])) as unknown as T.ReadinessChecks;
    return { status: details.every((d) => d.status === 'ok') ? 'ready' : 'unavailable', checks, details };
  }

  private async one(name: CheckName, run: Check): Promise<T.ReadinessCheck> {
    const started = performance.now();
    let entry = this.running.get(name);
    if (!entry) {
      const promise = Promise.resolve().then(run);
      entry = { promise, since: started };
      this.running.set(name, entry);
      void promise
        .catch(() => undefined)
        .finally(() => {
          if (this.running.get(name)?.promise === promise) this.running.delete(name);
        });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const waiting = Math.round(performance.now() - entry.since);
        reject(
          new ReadinessFailure(
            waiting > this.timeoutMs + 50
              ? `no answer within ${this.timeoutMs} ms (an earlier check has waited ${waiting} ms)`
              : `no answer within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      timer.unref();
    });
    let result: { status: 'ok' | 'failing'; detail: string };
    try {
      result = { status: 'ok', detail: await Promise.race([entry.promise, timeout]) };
    } catch (error) {
      result = { status: 'failing', detail: describe(error) };
      if (this.lastStatus.get(name) !== 'failing')
        this.log?.warn({ check: name, detail: result.detail, err: error }, 'readiness check failing');
    } finally {
      clearTimeout(timer);
    }
    if (result.status === 'ok' && this.lastStatus.get(name) === 'failing')
      this.log?.info({ check: name, detail: result.detail }, 'readiness check ok again');
    this.lastStatus.set(name, result.status);
    return { name, ...result, durationMs: Math.round(performance.now() - started) };
  }
}

/** What a client may see of an error: our own message, or only its code. */
function describe(error: unknown): string {
  if (error instanceof ReadinessFailure) return error.message;
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown })?.cause);
  const what = error instanceof Error && error.name === 'KnexTimeoutError' ? 'no connection from the pool' : 'failed';
  return code ? `${what} (${code}); the server log has the error` : `${what}; the server log has the error`;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,32}$/.test(code) ? code : undefined;
}

/** The checks every instance has: the database answers, is migrated, and its event bus listens. */
export function databaseChecks(readiness: Readiness, database: Database, schemaName?: string): Readiness {
  return readiness
    .add('database', async () => {
      await database.knex.raw('select 1');
      return 'select 1 answered';
    })
    .add('migrations', async () => {
      const { known, pending } = await pendingMigrations(database.knex, schemaName);
      if (!pending.length) return `all ${known} migrations applied`;
      const listed = pending.slice(0, 5).join(', ') + (pending.length > 5 ? ', ...' : '');
      throw new ReadinessFailure(`${pending.length} of ${known} migrations not applied: ${listed}`);
    })
    .add('eventBus', async () => {
      try {
        return await database.events.check();
      } catch (error) {
        const message = (error as Error).message;
        if (message === 'closed') throw new ReadinessFailure('closed');
        if (message === 'not connected') {
          const code = codeOf((error as { cause?: unknown }).cause);
          throw new ReadinessFailure(code ? `not listening (${code})` : 'not listening');
        }
        throw error;
      }
    });
}

/** Failing from the first phase of a stop on: the instance is draining. */
export function shutdownCheck(readiness: Readiness, shutdown: Shutdown): Readiness {
  return readiness.add('shutdown', async () => {
    const phase = shutdown.phase;
    if (phase === undefined) return 'serving';
    throw new ReadinessFailure(`draining (${shutdown.cause ?? 'stopping'}): phase ${phase}`);
  });
}

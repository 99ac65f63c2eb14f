// knex's client class for one opened database, subclassed so that every statement it runs passes through one
// method, `_query`: query builder, raw, transaction control, and the rendered statements (src/platform/rendered.ts
// calls `_query` itself). There each statement is timed for whoever watches (the metrics) and, when tracing is on,
// made a span (src/platform/tracing.ts).
//
// Why a subclass: knex makes a transaction's client from the class's prototype
// (`Object.create(client.constructor.prototype)`), so an override on the instance would miss statements inside
// transactions. Why not knex's query events: pairing `query` and `query-response` by their uid in a map, and a
// regular expression per statement, cost ~6 µs a request under load (a profile), where two clock reads cost well
// under one.
import type { Knex } from 'knex';
import { statementSpan } from './tracing.js';

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other';

/** Told of every statement when it has answered or failed: its kind and how long it took. */
export type StatementWatcher = (kind: StatementKind, seconds: number) => void;

/** Who is told of this database's statements (an app's metrics): `add` returns the function that removes it. */
export interface StatementWatchers {
  add(watcher: StatementWatcher): () => void;
}

/** knex's `method` for a builder's statement (`first` and `pluck` are selects, `del` a delete); raw has none of these. */
const BY_METHOD: Record<string, StatementKind> = {
  select: 'select',
  first: 'select',
  pluck: 'select',
  insert: 'insert',
  upsert: 'insert',
  update: 'update',
  counter: 'update',
  del: 'delete',
  delete: 'delete',
};
const KEYWORDS = new Set<string>(['select', 'insert', 'update', 'delete']);

/** select / insert / update / delete, from the SQL's first word; anything else (`with ...`, BEGIN, DDL) `other`. */
export function statementKind(sql: string): StatementKind {
  const first = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase();
  return first && KEYWORDS.has(first) ? (first as StatementKind) : 'other';
}

interface QueryObject {
  sql?: string;
  /** knex's builder method, or (rendered statements) the statement's kind, worked out once. */
  method?: string;
}

type Run = (this: Knex.Client, connection: unknown, obj: QueryObject) => Promise<unknown>;

/** A subclass of `Base` (knex's pg client, or knex-pglite's) that times and traces each statement, and its watchers. */
export function observedClient<C extends typeof Knex.Client>(Base: C): { Client: C; watchers: StatementWatchers } {
  // An array, not a Set, and no closure per statement: this runs for every statement of every request.
  let watching: readonly StatementWatcher[] = [];
  const run = (Base.prototype as unknown as { _query: Run })._query;
  const tell = (obj: QueryObject, started: number) => {
    const seconds = (performance.now() - started) / 1000;
    const kind = BY_METHOD[obj.method ?? ''] ?? statementKind(obj.sql ?? '');
    for (const watcher of watching) watcher(kind, seconds);
  };
  const Observed = class extends (Base as typeof Knex.Client) {
    async _query(connection: unknown, obj: QueryObject): Promise<unknown> {
      const span = statementSpan(obj.sql ?? '');
      if (!span && watching.length === 0) return run.call(this, connection, obj);
      const started = performance.now();
      try {
        const result = await run.call(this, connection, obj);
        span?.end();
        return result;
      } catch (error) {
        span?.end(error);
        throw error;
      } finally {
        if (watching.length > 0) tell(obj, started);
      }
    }
  };
  const watchers: StatementWatchers = {
    add(watcher) {
      watching = [...watching, watcher];
      return () => {
        watching = watching.filter((w) => w !== watcher);
      };
    },
  };
  return { Client: Observed as unknown as C, watchers };
}

// Response bodies rendered by PostgreSQL. A hot read's statement returns the whole body as JSON text in the
// contract's shape (camelCase names, timestamps as `toISOString()` writes them), and the pipeline
// (src/http/dispatch.ts) writes that text as it is: no type parsing, Date objects, row objects or JSON.stringify
// in between. Its statements are SQL text fixed once (when their module loads, or a page size's on first use),
// never rebuilt per request, and sent as named prepared statements on PostgreSQL (parsed once per connection).
// The pipeline checks a rendered body against the contract by parsing it, in strict mode always and in
// production on a sample.
import type { Rendered } from '../../generated/server/index.js';
import { type StatementKind, statementKind } from './database-client.js';
import type { Db } from './transactions.js';

export type { Rendered } from '../../generated/server/index.js';

/** A rendered body at run time: the class the pipeline recognises, and writes without serializing. */
class RenderedJson {
  constructor(readonly json: string) {}
}

/** Text the caller vouches is the JSON of a `B` (the pipeline checks it as it checks every body). */
export const rendered = <B>(json: string): Rendered<B> => new RenderedJson(json) as unknown as Rendered<B>;

export const isRendered = (body: unknown): body is Rendered<unknown> => body instanceof RenderedJson;

/** The value a rendered body stands for: for tools and tests that read it as an object. */
export const parseRendered = <B>(body: Rendered<B>): B => JSON.parse(body.json) as B;

/** A statement compiled once: its text, and the name it is prepared under on each PostgreSQL connection. */
export interface Statement {
  /** Unique per text: pg refuses to reuse a prepared statement's name for another text. */
  readonly name: string;
  readonly text: string;
  /** select, insert...: what the statement metrics count it as, worked out once. */
  readonly kind: StatementKind;
}

/** A statement with the values of one run: what a read's `...Query` function gives (the bench's limit server sends it). */
export interface BoundStatement {
  readonly sql: Statement;
  readonly values: unknown[];
}

const declared = new Map<string, string>();

export function statement(name: string, text: string): Statement {
  const other = declared.get(name);
  if (other !== undefined && other !== text) throw new Error(`two statements are named ${name}`);
  declared.set(name, text);
  return Object.freeze({ name, text, kind: statementKind(text) });
}

/**
 * The page sizes a page's statement is prepared for: a request's `limit` is served by the smallest that holds it.
 * Few, so that each connection keeps few statements prepared whatever limits requests ask for.
 */
const PAGE_SIZES = [10, 20, 50, 100, 200] as const;

/**
 * A page read's statement per page size, each made on first use: `text(size)` writes the size into the scan's
 * `limit` as a constant, and the statement still takes the request's limit as a value, to cut the page to it.
 * Why: PostgreSQL plans a prepared statement for each run's values until a plan made once ("generic") looks no
 * dearer, and a generic plan must assume that `limit $n` reads a tenth of the matching rows, so it never does; with
 * a constant it can, and the planning of every run is saved (docs/benchmarks.md, "Page sizes in the statement").
 */
export function sizedStatement(name: string, text: (size: number) => string): (limit: number) => Statement {
  const made = new Map<number, Statement>();
  return (limit) => {
    const size = PAGE_SIZES.find((s) => s >= limit);
    if (size === undefined) throw new RangeError(`${name}: a page of ${limit} is above the largest page size`);
    let sql = made.get(size);
    if (!sql) {
      sql = statement(`${name}_${size}`, text(size));
      made.set(size, sql);
    }
    return sql;
  };
}

/**
 * A timestamptz column as the contract's date-time text, exactly as the JSON of a JavaScript Date (and so every
 * other response) writes it: UTC, milliseconds (truncated from microseconds, as pg's Date parsing does), `Z`.
 */
export const isoTime = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The fields after an offset page's items, `,"total":..,"page":..,"totalPages":..`, as SQL text to concatenate:
 * `t.total` is the count of all the rows, `limit` and `page` the statement's parameters (e.g. `$2`, `$4`).
 */
export const pageFields = (limit: string, page: string) =>
  `',"total":' || t.total || ',"page":' || ${page}::bigint || ',"totalPages":' || (t.total + ${limit}::int - 1) / ${limit}::int`;

/**
 * An amount in minor units (bigint hundredths) as the contract's credits: the JSON number JavaScript writes
 * for `minor / 100` (float8's shortest text, e.g. 15 or 12.34; wallet amounts are far below 2^53).
 */
export const credits = (column: string) => `(${column} / 100.0)::float8`;

/** What a statement's run needs of knex's client: its pool and its per-dialect `_query` (traced when traces are on). */
interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
  _query(
    connection: unknown,
    query: { sql: string; bindings: readonly unknown[]; options: object; method: StatementKind },
  ): Promise<{ response: { rows: unknown[] } }>;
  /** The database's knex settings: its `postProcessResponse` maps a row's columns to fields (src/platform/database.ts). */
  config: { postProcessResponse?: (rows: unknown) => unknown };
  /** Set by knex-pglite's client: PGlite runs every statement unnamed (it has no prepared-statement cache). */
  pglite?: unknown;
  emit(event: 'query' | 'query-response' | 'query-error', ...args: unknown[]): boolean;
  listenerCount(event: 'query'): number;
}

/** Ids of the statements run here, as knex gives each of its own (`__knexQueryUid`), so listeners can pair events. */
let statementRuns = 0;

/** The driver options of a statement's run, made once per statement: its name on pg (none on PGlite), rows as arrays or objects. */
const runOptions = new WeakMap<
  Statement,
  { named: object; unnamed: object; namedObjects: object; unnamedObjects: object }
>();

function optionsOf(sql: Statement, pglite: boolean, arrays: boolean): object {
  let options = runOptions.get(sql);
  if (!options) {
    options = {
      named: Object.freeze({ name: sql.name, rowMode: 'array' }),
      unnamed: Object.freeze({ rowMode: 'array' }),
      namedObjects: Object.freeze({ name: sql.name }),
      unnamedObjects: Object.freeze({}),
    };
    runOptions.set(sql, options);
  }
  if (arrays) return pglite ? options.unnamed : options.named;
  return pglite ? options.unnamedObjects : options.namedObjects;
}

/** Runs a statement on `db`'s pool (or its transaction's connection: knex's transaction client hands that out). */
async function run(db: Db, sql: Statement, values: readonly unknown[], arrays: boolean): Promise<unknown[]> {
  const client = db.client as KnexClient;
  const options = optionsOf(sql, client.pglite !== undefined, arrays);
  const connection = await client.acquireConnection();
  try {
    const query = { sql: sql.text, bindings: values, options, method: sql.kind };
    // knex's own events, as its runner emits them for every statement, for whoever listens (debugging, the
    // bench's SQL trace); the statement metrics are told by the client's `_query` (src/platform/database-client.ts).
    if (client.listenerCount('query') === 0) return (await client._query(connection, query)).response.rows;
    statementRuns += 1;
    const event = { sql: sql.text, bindings: values, method: 'raw', __knexQueryUid: `rendered-${statementRuns}` };
    client.emit('query', event);
    try {
      const { response } = await client._query(connection, query);
      client.emit('query-response', response, event);
      return response.rows;
    } catch (error) {
      client.emit('query-error', error, event);
      throw error;
    }
  } finally {
    await client.releaseConnection(connection);
  }
}

/**
 * Runs a statement whose one column is the body's JSON text (`::text`, so neither driver parses it) and returns
 * the first row's, or undefined when there is no row or it is null (e.g. "not found, or not visible").
 */
export async function renderOne<B>(
  db: Db,
  sql: Statement,
  values: readonly unknown[],
): Promise<Rendered<B> | undefined> {
  const json = ((await run(db, sql, values, true))[0] as unknown[] | undefined)?.[0];
  return typeof json === 'string' ? rendered<B>(json) : undefined;
}

/** `renderOne` for a statement that always returns its row (a page, empty or not): no row is a bug, thrown. */
export async function renderPage<B>(db: Db, sql: Statement, values: readonly unknown[]): Promise<Rendered<B>> {
  const body = await renderOne<B>(db, sql, values);
  if (!body) throw new Error(`the statement ${sql.name} returned no row`);
  return body;
}

/** What renderChecked returns: the body, or the verdict that refused it. */
export type Checked<B, V extends string> = { verdict: 'ok'; body: Rendered<B> } | { verdict: V; body?: undefined };

/**
 * A body behind its read check, in one round trip: the statement's first column is the check's verdict (the
 * caller's words: `ok`, or why not, e.g. `not_found`), its second the body's JSON text, rendered only when the
 * verdict is `ok` (a branch PostgreSQL does not evaluate otherwise). Always one row; no row is a bug, thrown.
 */
export async function renderChecked<B, V extends string>(
  db: Db,
  sql: Statement,
  values: readonly unknown[],
): Promise<Checked<B, V>> {
  const row = (await run(db, sql, values, true))[0] as [V | 'ok', string | null] | undefined;
  if (!row) throw new Error(`the statement ${sql.name} returned no row`);
  const [verdict, json] = row;
  if (verdict !== 'ok') return { verdict: verdict as V };
  if (typeof json !== 'string') throw new Error(`the statement ${sql.name} said ok without a body`);
  return { verdict: 'ok', body: rendered<B>(json) };
}

/**
 * The first row of a statement compiled once, as the driver parses it (columns named as the row's fields: no
 * snake_case mapping here), for a lookup that is not a body (the session behind a token).
 */
export async function firstRow<R>(db: Db, sql: Statement, values: readonly unknown[]): Promise<R | undefined> {
  return (await run(db, sql, values, false))[0] as R | undefined;
}

/**
 * The rows of a statement compiled once, as knex hands rows out: the driver's values, the columns mapped to fields
 * by the database's own `postProcessResponse` (snake_case to camelCase). For a hot write's statements whose rows
 * the code reads, not a body (a wallet's balance and ledger entry, a room's event counter and event). Such a
 * statement names its columns: a prepared `select *` fails once a migration adds a column under a running instance.
 */
export async function compiledRows<R>(db: Db, sql: Statement, values: readonly unknown[]): Promise<R[]> {
  const rows = await run(db, sql, values, false);
  const map = (db.client as KnexClient).config.postProcessResponse;
  return (map ? map(rows) : rows) as R[];
}

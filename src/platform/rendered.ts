// Response bodies rendered by PostgreSQL. A hot read's statement returns the whole body as JSON text in the
// contract's shape (camelCase names, timestamps as `toISOString()` writes them), and the pipeline
// (src/http/dispatch.ts) writes that text as it is: no type parsing, Date objects, row objects or JSON.stringify
// in between. Its statements are SQL text fixed when their module loads, never rebuilt per request, and sent as
// named prepared statements on PostgreSQL (parsed and planned once per connection). The pipeline checks a
// rendered body against the contract by parsing it, in strict mode always and in production on a sample.
import type { Rendered } from '../../generated/server/index.js';
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
}

const declared = new Map<string, string>();

export function statement(name: string, text: string): Statement {
  const other = declared.get(name);
  if (other !== undefined && other !== text) throw new Error(`two statements are named ${name}`);
  declared.set(name, text);
  return Object.freeze({ name, text });
}

/**
 * A timestamptz column as the contract's date-time text, exactly as the JSON of a JavaScript Date (and so every
 * other response) writes it: UTC, milliseconds (truncated from microseconds, as pg's Date parsing does), `Z`.
 */
export const isoTime = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

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
    query: { sql: string; bindings: readonly unknown[]; options: object },
  ): Promise<{ response: { rows: unknown[][] } }>;
  /** Set by knex-pglite's client: PGlite runs every statement unnamed (it has no prepared-statement cache). */
  pglite?: unknown;
  emit(event: 'query', query: { sql: string; bindings: readonly unknown[]; method: 'raw' }): boolean;
}

const preparedOptions = new WeakMap<Statement, object>();
const UNNAMED = Object.freeze({ rowMode: 'array' });

/**
 * Runs a statement whose one column is the body's JSON text (`::text`, so neither driver parses it) and returns
 * the first row's, or undefined when there is no row or it is null (e.g. "not found, or not visible").
 * `db` may be a transaction: knex's transaction client hands out the transaction's own connection.
 */
export async function renderOne<B>(
  db: Db,
  sql: Statement,
  values: readonly unknown[],
): Promise<Rendered<B> | undefined> {
  const client = db.client as KnexClient;
  let options = client.pglite ? UNNAMED : preparedOptions.get(sql);
  if (!options) {
    options = Object.freeze({ name: sql.name, rowMode: 'array' });
    preparedOptions.set(sql, options);
  }
  const connection = await client.acquireConnection();
  try {
    // knex's own event, as its runner emits it for every statement: what listens to it (debugging, the bench's
    // SQL trace) sees these too.
    client.emit('query', { sql: sql.text, bindings: values, method: 'raw' });
    const { response } = await client._query(connection, { sql: sql.text, bindings: values, options });
    const json = response.rows[0]?.[0];
    return typeof json === 'string' ? rendered<B>(json) : undefined;
  } finally {
    await client.releaseConnection(connection);
  }
}

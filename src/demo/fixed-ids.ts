// Gives a row made by a service the fixed id the demo data documents. The services choose their own ids (the
// database's default, or randomUUID()), and the rows they make at once reference them (a room's participants
// and events, a user's session), so the id is changed everywhere in one statement: the row, every column a
// foreign key points at it from (found in the catalog, so no table is listed here), and the ids written into
// JSON columns (room event payloads). Foreign keys are checked at the end of the statement, when every
// reference has moved. For demo data only: it runs inside the loading transaction, before anything else
// can read the row.
import type { Knex } from 'knex';

interface Reference {
  table: string;
  column: string;
  type?: string;
}

/** Columns that hold `table.id` by a foreign key, and every json/jsonb column of the schema. */
async function references(db: Knex, table: string): Promise<{ keys: Reference[]; json: Reference[] }> {
  const keys = await db.raw<{ rows: Array<{ table: string; column: string }> }>(
    `
    select c.conrelid::regclass::text as "table", a.attname as "column"
    from pg_constraint c
    join unnest(c.conkey, c.confkey) as k(child, parent) on true
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.child
    join pg_attribute p on p.attrelid = c.confrelid and p.attnum = k.parent
    where c.contype = 'f' and c.confrelid = ?::regclass and p.attname = 'id'`,
    [table],
  );
  const json = await db.raw<{ rows: Reference[] }>(`
    select table_name as "table", column_name as "column", data_type as "type" from information_schema.columns
    where table_schema = current_schema() and data_type in ('json', 'jsonb')`);
  return { keys: keys.rows, json: json.rows };
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** A regclass as text may be schema-qualified and quoted already: keep it as the catalog wrote it. */
const relation = (name: string) => (name.includes('.') || name.startsWith('"') ? name : quote(name));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Changes `table`'s row `from` to the id `to`, with every reference to it; returns `to`. */
export async function fixId(trx: Knex.Transaction, table: string, from: string, to: string): Promise<string> {
  if (!UUID.test(from) || !UUID.test(to)) throw new Error(`fixId: ${from} and ${to} must be lower-case uuids`);
  if (from === to) return to;
  const { keys, json } = await references(trx, table);
  // Both are checked uuids, so they are written into the statement (no quote can be in them).
  const steps = [`update ${quote(table)} set id = '${to}' where id = '${from}'`];
  for (const key of keys)
    steps.push(
      `update ${relation(key.table)} set ${quote(key.column)} = '${to}' where ${quote(key.column)} = '${from}'`,
    );
  for (const column of json) {
    const c = quote(column.column);
    steps.push(
      `update ${relation(column.table)} set ${c} = cast(replace(cast(${c} as text), '${from}', '${to}') as ${column.type}) where strpos(cast(${c} as text), '${from}') > 0`,
    );
  }
  await trx.raw(`with ${steps.map((step, i) => `s${i} as (${step} returning 1)`).join(', ')} select 1`);
  return to;
}

// Each area writes its SQL in two files: `models.ts` (its Objection models, which services use for a model's
// ordinary reads and writes) and `queries.ts` (every statement in plain knex or raw SQL: hot paths, row locks,
// conditional updates, `on conflict`, window functions, the reads other areas use). Anywhere else in the area,
// a knex query (`db('table')`, `trx('table')`, `this.db('table')`) or raw SQL (`.raw(`) fails here, with where
// to move it. Read from the source text, like test/spec/table-ownership.test.ts; migrations are left out.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/contract.js';

const srcDir = join(repoRoot, 'src');
/** The areas: folders of src/ with a public file and migrations of their own. */
const areas = readdirSync(srcDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .filter((area) => readdirSync(join(srcDir, area)).includes('index.ts'))
  .filter((area) => readdirSync(join(srcDir, area)).includes('migrations'));

const QUERY_FILES = new Set(['queries.ts', 'models.ts']);
/** `db('rooms')`, `trx('rooms as r')`, `this.db('rooms')`: knex's entry point, called with a table. */
const KNEX_TABLE = /(?:(?<![.\w$])[A-Za-z_$][\w$]*|\bthis\.[A-Za-z_$][\w$]*)\(\s*'([a-z_]+)(?:\s+as\s+\w+)?'\s*[,)]/g;
const RAW = /\.raw\(/g;

/** What a file of an area sends to the database outside its query files, with line numbers. */
function sqlOutsideQueryFiles(text: string, isTable: (name: string) => boolean): string[] {
  const found: string[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  for (const m of text.matchAll(KNEX_TABLE)) if (isTable(m[1]!)) found.push(`line ${lineOf(m.index)}: ${m[0]}`);
  for (const m of text.matchAll(RAW)) found.push(`line ${lineOf(m.index)}: .raw(`);
  return found;
}

const tables = new Set<string>();
for (const area of areas) {
  const dir = join(srcDir, area, 'migrations');
  for (const file of readdirSync(dir)) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(
      /createTable\(\s*['"`](\w+)|create\s+table\s+(?:if\s+not\s+exists\s+)?"?(\w+)/gi,
    ))
      tables.add((m[1] ?? m[2])!);
  }
}

describe("data access: SQL only in an area's queries.ts and models.ts", () => {
  it('finds the tables and the areas', () => {
    expect(tables.size).toBeGreaterThan(20);
    expect(areas).toEqual(expect.arrayContaining(['rooms', 'communities', 'auth']));
  });

  it('catches a knex query and raw SQL (the check itself)', () => {
    const isTable = (t: string) => t === 'rooms';
    expect(sqlOutsideQueryFiles("await trx('rooms').where('id', id)", isTable)).toEqual(["line 1: trx('rooms')"]);
    expect(sqlOutsideQueryFiles("this.db('rooms as r', x)", isTable)).toEqual(["line 1: this.db('rooms as r',"]);
    expect(sqlOutsideQueryFiles("q.join('rooms', 'a', 'b')\nt.raw('now()')", isTable)).toEqual(['line 2: .raw(']);
    expect(sqlOutsideQueryFiles("Room.query(t).findById(id); log('rooms')", (t) => t === 'x')).toEqual([]);
  });

  it.each(areas)('%s: no knex query or raw SQL outside queries.ts and models.ts', (area) => {
    const dir = join(srcDir, area);
    const problems = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !QUERY_FILES.has(e.name))
      .map((e) => relative(repoRoot, join(e.parentPath, e.name)))
      .filter((file) => !file.includes('/migrations/'))
      .flatMap((file) =>
        sqlOutsideQueryFiles(readFileSync(join(repoRoot, file), 'utf8'), (t) => tables.has(t)).map(
          (where) => `${file} ${where}`,
        ),
      );
    expect(
      problems,
      `Move these statements into src/${area}/queries.ts as named functions taking the db or transaction ` +
        'first (Objection model calls may stay where they are: models.ts is the other query file):\n' +
        problems.join('\n'),
    ).toEqual([]);
  });
});

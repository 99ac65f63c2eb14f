// Each table belongs to the area whose migration creates it (src/<area>/migrations/), and only that area's code
// names it in SQL: other areas read it through the owner's public file (src/<area>/index.ts). Read from the
// source text: knex's `db('table')`, `.from/.join/.into/.table('table')`, an Objection model's `tableName`, a
// qualified column (`'users.id'`) and raw SQL strings (`from users`, `join users`, `insert into users`, ...).
// src/demo/ is left out: it loads the demo data and gives the rows the services made their documented ids,
// in every table by design (src/demo/fixed-ids.ts), like an operator's tool.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/contract.js';

const srcDir = join(repoRoot, 'src');
const sourceFiles = readdirSync(srcDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.ts'))
  .map((e) => relative(repoRoot, join(e.parentPath, e.name)));
const isMigration = (file: string) => /\/migrations\//.test(file);
/** The area a file of src/ belongs to: its first folder; the composition root's files belong to none. */
const areaOf = (file: string) => (file.split('/').length > 2 ? file.split('/')[1]! : '(composition root)');

/** Table -> the area whose migration creates it, and that migration. */
function tableOwners(
  files: string[],
  read: (file: string) => string,
): Map<string, { area: string; migration: string }> {
  const owners = new Map<string, { area: string; migration: string }>();
  for (const file of files.filter(isMigration)) {
    for (const m of read(file).matchAll(
      /create\s+table\s+(?:if\s+not\s+exists\s+)?"?(\w+)|createTable\(\s*['"`](\w+)/gi,
    )) {
      owners.set((m[1] ?? m[2])!, { area: areaOf(file), migration: file });
    }
  }
  return owners;
}

const LITERAL = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;
/** Right before a literal that is a table: a call (`db(`, `.join(`, `.from(`...) or an Objection model's `tableName =`. */
const TABLE_POSITION = /(?:\w\(|tableName\s*=\s*)\s*$/;
const SQL = /\b(?:select|insert|update|delete|from|join)\b/i;
const SQL_TABLE = /\b(?:from|join|into|update|table)\s+(?:only\s+)?"?(\w+)"?(?:\s+(?:as\s+)?\w+)?(?:\s*,\s*"?(\w+))?/gi;

/** The tables of `known` that a source text names in SQL, with their line numbers. */
function tablesNamed(text: string, known: (table: string) => boolean): Array<{ table: string; line: number }> {
  const found: Array<{ table: string; line: number }> = [];
  for (const m of text.matchAll(LITERAL)) {
    const body = m[0].slice(1, -1);
    const line = text.slice(0, m.index).split('\n').length;
    const tables = new Set<string>();
    const alone = /^\s*(\w+)(?:\s+as\s+\w+)?\s*$/i.exec(body);
    if (alone && known(alone[1]!) && TABLE_POSITION.test(text.slice(Math.max(0, m.index - 40), m.index)))
      tables.add(alone[1]!);
    for (const q of body.matchAll(/\b(\w+)\.(?:\w+|\*)/g)) if (known(q[1]!)) tables.add(q[1]!);
    if (SQL.test(body))
      for (const s of body.matchAll(SQL_TABLE)) for (const t of [s[1], s[2]]) if (t && known(t)) tables.add(t);
    for (const table of tables) found.push({ table, line });
  }
  return found;
}

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const owners = tableOwners(sourceFiles, read);

describe('table ownership', () => {
  it('reads an owner for every table from the migrations', () => {
    expect(owners.get('users')?.area).toBe('auth');
    expect(owners.get('agent_listings')?.area).toBe('agents');
    expect(owners.get('lounges')?.area).toBe('lounge');
    expect(owners.size).toBeGreaterThan(20);
  });

  it('finds a table named in each way SQL can name it', () => {
    const known = (t: string) => t === 'users';
    const named = (code: string) => tablesNamed(code, known).map((f) => f.table);
    expect(named(`db('users').where('id', id)`)).toEqual(['users']);
    expect(named(`q.leftJoin('users as u', 'u.id', 'm.userId')`)).toEqual(['users']);
    expect(named(`q.select('id').from('users')`)).toEqual(['users']);
    expect(named(`static override tableName = 'users';`)).toEqual(['users']);
    expect(named(`q.where('users.email', email)`)).toEqual(['users']);
    expect(named('t.raw(`select name from users where id = ?`, [id])')).toEqual(['users']);
    expect(named(`t.raw('insert into users (id) values (?)', [id])`)).toEqual(['users']);
    expect(named(`log.info('users signed in'); const users = 'x';`)).toEqual([]);
  });

  it("names a table in SQL only in the area that owns it (use the owner's public reads otherwise)", () => {
    const problems: string[] = [];
    for (const file of sourceFiles.filter((f) => !isMigration(f) && !f.startsWith('src/demo/'))) {
      const area = areaOf(file);
      for (const { table, line } of tablesNamed(read(file), (t) => owners.has(t))) {
        const owner = owners.get(table)!;
        if (owner.area === area) continue;
        problems.push(
          `${file}:${line} names the table ${table} in SQL, which the ${owner.area} area owns (${owner.migration}). ` +
            `Only ${owner.area}'s code may name it: read it through src/${owner.area}/index.ts (add the read you need there, ` +
            "taking the caller's transaction if it must run in it), or move this query into that area.",
        );
      }
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

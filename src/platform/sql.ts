import type { Knex } from 'knex';

/** Splits a SQL script into statements on `;`, leaving `$$ ... $$` function bodies whole. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let inBody = false;
  for (const line of script.split('\n')) {
    const code = line.replace(/--.*$/, '');
    if ((code.match(/\$\$/g)?.length ?? 0) % 2 === 1) inBody = !inBody;
    current += `${line}\n`;
    if (!inBody && code.trimEnd().endsWith(';')) {
      statements.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

/** Runs a script one statement at a time (PGlite's driver takes one statement per query). */
export async function runScript(knex: Knex, script: string): Promise<void> {
  for (const statement of splitStatements(script)) await knex.raw(statement);
}

// Child process: what loading the platform's modules costs in a fresh process (under tsx, as `npm start`
// runs), group by group in dependency order, each group timed on its own (shared dependencies count for the
// first group that loads them).
import { report, runChild } from './common.js';

const GROUPS: Array<[string, string[]]> = [
  ['knex, pg, Objection', ['knex', 'pg', 'objection']],
  ['openapi-backend', ['openapi-backend']],
  ['Koa, pino, find-my-way', ['koa', 'pino', 'find-my-way']],
  [
    'generated validators and operations',
    ['../../generated/validators/index.gen.js', '../../generated/server/index.js'],
  ],
  ["the platform's own modules (src/)", ['../../src/app.js']],
  // Last: whatever src/ does not load up front (src/platform/database.ts imports PGlite only when it opens one).
  [
    'PGlite (@electric-sql/pglite, pg_trgm, knex-pglite), if not loaded above',
    ['@electric-sql/pglite', '@electric-sql/pglite/contrib/pg_trgm', 'knex-pglite'],
  ],
];

runChild(async () => {
  const groups: Array<{ group: string; ms: number }> = [];
  const started = performance.now();
  for (const [group, modules] of GROUPS) {
    const mark = performance.now();
    for (const module of modules) await import(module);
    groups.push({ group, ms: Math.round(performance.now() - mark) });
  }
  report({ type: 'imports', groups, totalMs: Math.round(performance.now() - started) });
});

// npm run conformance -- [--seed N] [--budget N] [--database pglite|postgres] [--operation <id>]... [--json <file>]
// Runs the contract conformance suite against the app booted in-process; exits 1 on any failure.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSuite } from './suite.js';
import { formatReport, toJson } from './report.js';

export const DEFAULT_SEED = 1;
export const DEFAULT_BUDGET = 10;

const USAGE = `usage: npm run conformance -- [options]
  --seed N                     PRNG seed (default ${DEFAULT_SEED}); a failure names the seed that reproduces it
  --budget N                   valid requests per operation: examples first, then generated (default ${DEFAULT_BUDGET})
  --database pglite|postgres   default: postgres when DATABASE_URL is set, else a fresh embedded PGlite
  --operation <operationId>    only this operation (repeatable, or comma-separated)
  --json <file>                also write the results as JSON
  --quiet                      no per-operation progress lines
environment: DATABASE_URL (PostgreSQL server; a fresh schema is created and dropped), CONFORMANCE_TRACE=1
(every request and its status on stderr), CONFORMANCE_LOG_LEVEL (the app's pino level; default silent)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      budget: { type: 'string' },
      database: { type: 'string' },
      operation: { type: 'string', multiple: true },
      json: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const integer = (text: string | undefined, fallback: number, name: string) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a non-negative integer, not "${text}"`);
    return Number(text);
  };
  const database = values.database ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
  if (database !== 'pglite' && database !== 'postgres')
    throw new Error(`--database must be pglite or postgres, not "${database}"`);
  const result = await runSuite({
    seed: integer(values.seed, DEFAULT_SEED, 'seed'),
    budget: Math.max(1, integer(values.budget, DEFAULT_BUDGET, 'budget')),
    database,
    databaseUrl: process.env.DATABASE_URL,
    operations: values.operation?.flatMap((o) => o.split(',')).filter(Boolean),
    progress: values.quiet ? undefined : (line) => console.log(line),
  });
  console.log(formatReport(result));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(toJson(result), null, 2)}\n`);
  return result.failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(2);
  },
);

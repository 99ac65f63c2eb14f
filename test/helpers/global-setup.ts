// Runs once per `vitest run`:
// - finds or builds the migrated template database each test file copies (test/helpers/template-database.ts),
//   so no file pays for initdb (~5 s on PGlite) or the migrations, and no run does while they are unchanged;
// - collects which documented statuses the contract tests exercised and, in a run of the whole suite, prints
//   the coverage table at the end (test/spec/tested.test.ts is what fails when a built operation has no
//   contract test at all).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { dropLeftBehindDatabases, pgliteTemplate, postgresTemplate } from './template-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PGlite data directory to copy (without DATABASE_URL). */
    pgliteTemplate: string;
    /** The template database to copy on DATABASE_URL's server. */
    postgresTemplate: string;
    coverageDir: string;
  }
}

export default async function setup(project: TestProject) {
  const work = mkdtempSync(join(tmpdir(), 'platform-tests-'));
  const coverageDir = join(work, 'coverage');
  const databaseUrl = process.env.DATABASE_URL;
  project.provide('pgliteTemplate', databaseUrl ? '' : await pgliteTemplate());
  if (databaseUrl) await dropLeftBehindDatabases(databaseUrl);
  project.provide('postgresTemplate', databaseUrl ? await postgresTemplate(databaseUrl) : '');
  project.provide('coverageDir', coverageDir);

  return async () => {
    const files = (() => {
      try {
        return readdirSync(coverageDir);
      } catch {
        return [];
      }
    })();
    const exercised = new Map<string, Set<number>>();
    for (const file of files) {
      const records = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as Array<[string, number]>;
      for (const [operationId, status] of records) {
        if (!exercised.has(operationId)) exercised.set(operationId, new Set());
        exercised.get(operationId)!.add(status);
      }
    }
    rmSync(work, { recursive: true, force: true });
    if (files.length > 0 && (await wholeSuite(project))) await printCoverage(exercised);
  };
}

/** Whether this run ran every test file with no test name filter (not one file, a shard, or `-t`). */
async function wholeSuite(project: TestProject): Promise<boolean> {
  if (project.vitest.config.testNamePattern) return false;
  const ran = new Set(project.vitest.state.getFilepaths());
  return (await project.globTestFiles()).testFiles.every((file) => ran.has(file));
}

async function printCoverage(exercised: Map<string, Set<number>>) {
  // Loaded only here: the operation table, and the areas that load the whole app.
  const [{ operations }, { builtOperations }] = await Promise.all([
    import('../../generated/server/index.js'),
    import('../../src/areas.js'),
  ]);
  const implemented = new Set<string>(builtOperations);
  const lines = ['', 'Contract coverage: documented statuses exercised by the tests ([x] exercised, [ ] not)'];
  let documented = 0;
  let covered = 0;
  for (const op of operations) {
    if (!implemented.has(op.operationId)) continue;
    const seen = exercised.get(op.operationId) ?? new Set<number>();
    // Every operation documents 501 NOT_IMPLEMENTED, which a built one never answers.
    const statuses = op.statuses.filter((s) => s !== 501);
    const cells = statuses.map((s) => `${seen.has(s) ? '[x]' : '[ ]'} ${s}`);
    documented += statuses.length;
    covered += statuses.filter((s) => seen.has(s)).length;
    lines.push(`  ${op.operationId.padEnd(22)} ${op.method.padEnd(6)} ${op.path.padEnd(48)} ${cells.join('  ')}`);
  }
  const pending = operations.filter((op) => !implemented.has(op.operationId)).length;
  lines.push(
    `  ${covered}/${documented} documented statuses of ${implemented.size} implemented operations exercised; ${pending} operations not implemented yet (501).`,
    '',
  );
  console.log(lines.join('\n'));
}

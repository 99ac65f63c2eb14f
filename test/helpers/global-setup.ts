// Runs once per `vitest run`:
// - on PGlite (no DATABASE_URL), migrates a template data directory that each test file copies, so no file
//   pays for initdb (~5 s) or migrations;
// - collects which documented statuses the contract tests exercised and prints the coverage table at the end
//   (test/spec/tested.test.ts is what fails when a built operation has no contract test at all).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/platform/database.js';
import { operations } from '../../generated/server/index.js';
import { builtOperations } from '../../src/areas.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    coverageDir: string;
  }
}

export default async function setup(project: TestProject) {
  const work = mkdtempSync(join(tmpdir(), 'platform-tests-'));
  const coverageDir = join(work, 'coverage');
  const pgliteTemplate = join(work, 'template');
  if (!process.env.DATABASE_URL) {
    const database = await openDatabase({ dataDir: pgliteTemplate, poolMax: 1 });
    await database.close();
  }
  project.provide('pgliteTemplate', pgliteTemplate);
  project.provide('coverageDir', coverageDir);

  return () => {
    const exercised = new Map<string, Set<number>>();
    let files: string[] = [];
    try { files = readdirSync(coverageDir); } catch { /* no contract test ran */ }
    for (const file of files) {
      const records = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as Array<[string, number]>;
      for (const [operationId, status] of records) {
        if (!exercised.has(operationId)) exercised.set(operationId, new Set());
        exercised.get(operationId)!.add(status);
      }
    }
    rmSync(work, { recursive: true, force: true });
    if (files.length === 0) return; // no contract test ran (e.g. a filtered run)
    printCoverage(exercised);
  };
}

function printCoverage(exercised: Map<string, Set<number>>) {
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
  lines.push(`  ${covered}/${documented} documented statuses of ${implemented.size} implemented operations exercised; ${pending} operations not implemented yet (501).`, '');
  console.log(lines.join('\n'));
}

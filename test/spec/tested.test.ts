// Every built operation has a contract test, and contract tests live by area: test/contract/<area>/.
// (Static, so it fails as a plain test in any run order; the coverage table at the end of `npm test` shows
// which documented statuses were exercised.)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { areas as contractAreas, operations } from '../../generated/server/index.js';
import { isBuilt } from '../../src/areas.js';
import { repoRoot } from '../helpers/contract.js';

const contractDir = join(repoRoot, 'test', 'contract');
const files = readdirSync(contractDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
  .map((e) => relative(contractDir, join(e.parentPath, e.name)));
const sources = files.map((f) => readFileSync(join(contractDir, f), 'utf8')).join('\n');

describe('contract tests', () => {
  it('live in test/contract/<area>/<resource>.test.ts (or platform/ for what spans areas)', () => {
    const folders = new Set<string>([...contractAreas, 'platform']);
    expect(files.filter((f) => !folders.has(f.split(/[\\/]/)[0]!) || f.split(/[\\/]/).length !== 2)).toEqual([]);
  });

  const built = operations.filter((op) => isBuilt(op.area));
  it.each(built.map((op) => [op.operationId, op.area] as const))(
    '%s is called by a contract test',
    (operationId, area) => {
      const called = new RegExp(`\\b${operationId}\\(`).test(sources);
      expect(
        called,
        `${operationId} is built but no test calls it: add test/contract/${area}/<resource>.test.ts calling ${operationId}(...) from @platform/client`,
      ).toBe(true);
    },
  );
});

// The published contract cannot break existing clients unnoticed: `npm run contract:diff` (run by CI) lists
// every change since the last release and fails on a breaking one unless the major version was raised.
// Here a deliberate breaking change (a response field removed) is made to a copy of the contract.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  breakingWithoutMajor,
  CURRENT,
  diffContracts,
  formatChanges,
  releasedVersions,
  releasePath,
} from '../../scripts/contract/releases.js';
import { repoRoot } from '../helpers/contract.js';

const work = mkdtempSync(join(tmpdir(), 'contract-diff-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const released = releasedVersions();
const last = released.at(-1)!;

/** A copy of the last release with `SpaceRow.category` removed, at `version`. */
function withoutCategory(version: string): string {
  const doc = JSON.parse(readFileSync(releasePath(last), 'utf8'));
  const row = doc.components.schemas.SpaceRow;
  delete row.properties.category;
  row.required = row.required.filter((name: string) => name !== 'category');
  doc.info.version = version;
  const file = join(work, `${version}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('contract releases', () => {
  it('keep released contracts in openapi/released/, the changelog naming each, the newest not above info.version', () => {
    expect(released.length).toBeGreaterThan(0);
    const changelog = readFileSync(join(repoRoot, 'docs', 'guides', 'changelog.md'), 'utf8');
    for (const version of released) expect(changelog).toContain(`## ${version}\n`);
    const current = JSON.parse(readFileSync(CURRENT, 'utf8')).info.version as string;
    expect(released).toContain(last);
    expect(current.localeCompare(last, undefined, { numeric: true })).toBeGreaterThanOrEqual(0);
  });

  it('a removed response field is a breaking change, named, that fails without a new major version', () => {
    const [major, minor] = last.split('.').map(Number) as [number, number];
    const diff = diffContracts(releasePath(last), withoutCategory(`${major}.${minor + 1}.0`));
    const lines = formatChanges(diff.changes, ['major']);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^- \*\*major\*\* `GET \/api\/spaces .*properties\/category`: Property `category` of `SpaceRow` was removed\.$/,
      ),
    );
    expect(breakingWithoutMajor(diff)).toMatch(
      new RegExp(
        `breaking changes? since ${last.replace(/\./g, '\\.')}.*raise info.version .* to ${major + 1}\\.0\\.0`,
      ),
    );
  }, 120_000);

  it('the same change with a raised major version passes', () => {
    const [major] = last.split('.').map(Number) as [number];
    const diff = diffContracts(releasePath(last), withoutCategory(`${major + 1}.0.0`));
    expect(diff.changes.some((c) => c.impact === 'major')).toBe(true);
    expect(breakingWithoutMajor(diff)).toBeUndefined();
  }, 120_000);
});

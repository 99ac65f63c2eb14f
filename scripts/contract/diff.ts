// `npm run contract:diff`: compares the contract (generated/openapi.json, which `generate:check` keeps in
// step with openapi/) with the last release in openapi/released/, lists every change `redocly diff` finds,
// and fails when a breaking (major) change comes without a higher major `info.version`.
//   npm run contract:diff -- [--base <released.json>] [--revision <bundle.json>]
import {
  breakingWithoutMajor,
  CURRENT,
  diffContracts,
  formatChanges,
  releasedVersions,
  releasePath,
} from './releases.js';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

const released = releasedVersions();
const base = option('base') ?? (released.length ? releasePath(released.at(-1)!) : undefined);
const revision = option('revision') ?? CURRENT;
if (!base) {
  console.log('contract:diff: nothing released yet (openapi/released/ is empty): every change is allowed.');
  process.exit(0);
}
const diff = diffContracts(base, revision);
const counts = (['major', 'minor', 'patch'] as const)
  .map((i) => `${diff.changes.filter((c) => c.impact === i).length} ${i}`)
  .join(', ');
console.log(`contract:diff: ${diff.revisionVersion} (${revision}) against release ${diff.baseVersion}: ${counts}`);
for (const line of formatChanges(diff.changes)) console.log(`  ${line}`);
const problem = breakingWithoutMajor(diff);
if (problem) {
  console.error(`contract:diff failed: ${problem}.`);
  process.exit(1);
}
console.log(
  diff.changes.some((c) => c.impact === 'major')
    ? `contract:diff: breaking changes, released as major version ${diff.revisionVersion}`
    : 'contract:diff: no breaking change',
);

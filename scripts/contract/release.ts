// `npm run contract:release`: cuts a release of the contract, the version partners build on.
//   1. checks that info.version is new and raised as the changes since the last release require (semver:
//      major for a breaking change, minor for an addition, patch otherwise);
//   2. copies generated/openapi.json (run `npm run generate` first) to openapi/released/<info.version>.json;
//   3. rewrites the changelog (docs/guides/changelog.md) from the diffs between consecutive releases, and
//      regenerates the docs that include it.
// Commit the release file, the changelog and the regenerated docs together.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../generate/run.js';
import {
  compareVersions,
  CURRENT,
  diffContracts,
  formatChanges,
  parseVersion,
  releasedVersions,
  releasePath,
  versionOf,
  type Diff,
} from './releases.js';

const CHANGELOG = join(repoRoot, 'docs', 'guides', 'changelog.md');

/** Whether going from `diff.baseVersion` to `diff.revisionVersion` is the bump its changes require. */
function bumpProblem(diff: Diff): string | undefined {
  const [from, to] = [parseVersion(diff.baseVersion), parseVersion(diff.revisionVersion)];
  if (compareVersions(diff.revisionVersion, diff.baseVersion) <= 0)
    return `info.version ${diff.revisionVersion} is not above the last release, ${diff.baseVersion}`;
  const raised = to[0] > from[0] ? 'major' : to[1] > from[1] ? 'minor' : 'patch';
  const rank = { none: 0, patch: 1, minor: 2, major: 3 };
  if (rank[raised] < rank[diff.bump])
    return `the changes since ${diff.baseVersion} need a ${diff.bump} version, and ${diff.revisionVersion} is a ${raised} one`;
  return undefined;
}

function changelog(versions: string[]): string {
  const sections = versions
    .map((version, i) => {
      if (i === 0) {
        const doc = JSON.parse(readFileSync(releasePath(version), 'utf8')) as { paths: Record<string, object> };
        const operations = Object.values(doc.paths).flatMap((item) =>
          Object.values(item).filter((op) => op && typeof op === 'object' && 'operationId' in op),
        );
        return `## ${version}\n\nThe first published contract: ${operations.length} operations.`;
      }
      const diff = diffContracts(releasePath(versions[i - 1]!), releasePath(version));
      const patches = diff.changes.filter((c) => c.impact === 'patch').length;
      const lines = formatChanges(diff.changes, ['major', 'minor']);
      if (patches)
        lines.push(`- ${patches} patch-level change${patches === 1 ? '' : 's'} (descriptions, examples and the like)`);
      return `## ${version}\n\nChanges from ${diff.baseVersion}:\n\n${lines.length ? lines.join('\n') : '- none'}`;
    })
    .reverse();
  return `<!-- Written by \`npm run contract:release\` from openapi/released/: do not edit. -->
# Changelog

The releases of this contract, newest first, each with what changed from the release before it as
\`redocly diff\` rates it: **major** changes can break an existing client (the major version goes up),
**minor** ones add to the API, **patch** ones change neither. The released contracts themselves are in the
repository under \`openapi/released/<version>.json\`.

${sections.join('\n\n')}
`;
}

const version = versionOf(CURRENT);
parseVersion(version);
const released = releasedVersions();
const target = releasePath(version);
if (existsSync(target)) {
  if (!readFileSync(target).equals(readFileSync(CURRENT))) {
    console.error(
      `contract:release: ${version} is already released, with another contract: raise info.version in openapi/openapi.yaml.`,
    );
    process.exit(1);
  }
  console.log(`contract:release: ${version} is already released as it is; rewriting the changelog`);
} else {
  if (released.length) {
    const diff = diffContracts(releasePath(released.at(-1)!), CURRENT);
    const problem = bumpProblem(diff);
    if (problem) {
      for (const line of formatChanges(diff.changes, ['major', 'minor'])) console.error(`  ${line}`);
      console.error(`contract:release failed: ${problem}.`);
      process.exit(1);
    }
  }
  copyFileSync(CURRENT, target);
  console.log(`contract:release: released ${version} as openapi/released/${version}.json`);
}
writeFileSync(CHANGELOG, changelog(releasedVersions()));
execFileSync('npm', ['run', '-s', 'generate'], { cwd: repoRoot, stdio: 'inherit' });
console.log('contract:release: commit openapi/released/, docs/guides/changelog.md, docs/index.html and generated/');

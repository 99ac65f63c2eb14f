// Released contracts and the changes between two of them. A release is the bundled contract
// (generated/openapi.json) copied to openapi/released/<info.version>.json by `npm run contract:release`;
// partners build on those. Changes are found and rated by `redocly diff` (@redocly/cli, its
// `diff-recommended` rules in redocly.yaml): major can break a client, minor adds, patch neither.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, repoRoot } from '../generate/run.js';

export const RELEASED_DIR = join(repoRoot, 'openapi', 'released');
export const CURRENT = join(repoRoot, 'generated', 'openapi.json');

export type Impact = 'major' | 'minor' | 'patch';

export interface Change {
  impact: Impact;
  /** Where, for people: `GET /api/spaces`, then what (`responses/200/.../category`). */
  where: string;
  /** What redocly's rule says (`Property \`category\` of \`SpaceRow\` was removed.`), or what was added or changed. */
  what: string;
}

export interface Diff {
  baseVersion: string;
  revisionVersion: string;
  /** The bump the changes require. */
  bump: Impact | 'none';
  changes: Change[];
}

type Version = [number, number, number];

export function parseVersion(version: string): Version {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) throw new Error(`info.version must be MAJOR.MINOR.PATCH, not ${JSON.stringify(version)}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** Released versions, oldest first. */
export function releasedVersions(dir = RELEASED_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d+\.\d+\.\d+\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort(compareVersions);
}

export const releasePath = (version: string, dir = RELEASED_DIR) => join(dir, `${version}.json`);

export const versionOf = (file: string): string =>
  (JSON.parse(readFileSync(file, 'utf8')) as { info: { version: string } }).info.version;

/** `#/paths/~1api~1spaces/get/responses/200` -> `GET /api/spaces responses/200`. */
function describePointer(pointer: string, doc: any): string {
  const parts = pointer
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] !== 'paths') return parts.join('/');
  const [, path, method, ...rest] = parts;
  const head = method ? `${method.toUpperCase()} ${path}` : `path ${path}`;
  // An added or removed parameter: name it rather than give its index.
  if (rest[0] === 'parameters' && rest.length === 2 && method) {
    const parameter = doc?.paths?.[path!]?.[method]?.parameters?.[Number(rest[1])];
    const resolved = parameter?.$ref ? doc.components.parameters[parameter.$ref.split('/').pop()] : parameter;
    if (resolved?.name) return `${head} parameter \`${resolved.name}\` (${resolved.in})`;
  }
  return rest.length ? `${head} ${rest.join('/')}` : head;
}

interface RedoclyChange {
  path: string;
  kind: 'added' | 'removed' | 'modified';
  impact: Impact;
  property?: string;
  verdicts: Array<{ message: string }>;
}

/** The changes from `base` to `revision` (two bundled contracts), rated by `redocly diff`. */
export function diffContracts(base: string, revision: string): Diff {
  const work = mkdtempSync(join(tmpdir(), 'contract-diff-'));
  try {
    const output = join(work, 'diff.json');
    execFileSync(
      bin('redocly'),
      [
        'diff',
        base,
        revision,
        '--config',
        join(repoRoot, 'redocly.yaml'),
        '--format',
        'json',
        '--fail-on',
        'none',
        '--output',
        output,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const report = JSON.parse(readFileSync(output, 'utf8')) as { bump: Impact | 'none'; changes: RedoclyChange[] };
    const docs = { base: JSON.parse(readFileSync(base, 'utf8')), revision: JSON.parse(readFileSync(revision, 'utf8')) };
    const order: Record<Impact, number> = { major: 0, minor: 1, patch: 2 };
    const changes = report.changes
      .map((c): Change => {
        const where =
          describePointer(c.path, c.kind === 'removed' ? docs.base : docs.revision) +
          (c.property ? ` (${c.property})` : '');
        const what = c.verdicts.map((v) => v.message).join(' ') || `${c.kind[0]!.toUpperCase()}${c.kind.slice(1)}.`;
        return { impact: c.impact, where, what };
      })
      .sort((a, b) => order[a.impact] - order[b.impact]);
    return { baseVersion: versionOf(base), revisionVersion: versionOf(revision), bump: report.bump, changes };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`redocly diff ${base} ${revision} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Why `diff` is not acceptable: breaking changes need a higher major version. Undefined when it is. */
export function breakingWithoutMajor(diff: Diff): string | undefined {
  if (compareVersions(diff.revisionVersion, diff.baseVersion) < 0) {
    return `info.version ${diff.revisionVersion} is lower than the last release, ${diff.baseVersion}`;
  }
  const breaking = diff.changes.filter((c) => c.impact === 'major');
  if (breaking.length === 0 || parseVersion(diff.revisionVersion)[0] > parseVersion(diff.baseVersion)[0])
    return undefined;
  return (
    `${breaking.length} breaking change${breaking.length === 1 ? '' : 's'} since ${diff.baseVersion}, and info.version (${diff.revisionVersion}) keeps major version ${parseVersion(diff.baseVersion)[0]}: ` +
    `undo ${breaking.length === 1 ? 'it' : 'them'}, or raise info.version in openapi/openapi.yaml to ${parseVersion(diff.baseVersion)[0] + 1}.0.0`
  );
}

/** The changes, one line each, for a terminal or Markdown. */
export function formatChanges(changes: Change[], impacts: Impact[] = ['major', 'minor', 'patch']): string[] {
  return changes.filter((c) => impacts.includes(c.impact)).map((c) => `- **${c.impact}** \`${c.where}\`: ${c.what}`);
}

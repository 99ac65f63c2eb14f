// `npm run build`: the server compiled to JavaScript in dist/, which `npm run start:prod` runs with plain
// `node dist/src/server.js` (no TypeScript compiled at start). dist/ mirrors the repository: tsc writes
// dist/src/ and dist/generated/server/ (tsconfig.build.json), and this script adds what the server reads
// from disk beside its code, relative to its own directory: generated/openapi.json, docs/index.html, the
// standalone validators (.cjs), and a package.json saying the .js files are ES modules. The migrations are
// found on disk (src/platform/migrate.ts): the build fails unless dist/ has a compiled file for each one.
// A stamp (dist/BUILD_STAMP) holds a hash of the inputs, so a test or a deploy can tell a stale build.
//   npm run build -- [--out <dir>]   (a directory inside the repository: node_modules is found from there)
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { discoverMigrations } from '../src/platform/migrate.js';

export const repoRoot = join(import.meta.dirname, '..');
const STAMP = 'BUILD_STAMP';

/** Files the build is made from: the sources, the generated code and assets, the build's own settings. */
function inputs(): string[] {
  const tree = (dir: string) =>
    readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
  return [
    ...tree('src'),
    ...tree('generated/server'),
    ...tree('generated/validators'),
    'generated/openapi.json',
    'docs/index.html',
    'tsconfig.json',
    'tsconfig.build.json',
    'scripts/build.ts',
    'package-lock.json',
  ].sort();
}

/** A hash of every input's path and content. */
export function inputsHash(): string {
  const hash = createHash('sha256');
  for (const file of inputs())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(repoRoot, file)))
      .update('\0');
  return hash.digest('hex');
}

/** Whether `outDir` holds a build of the inputs as they are now. */
export function buildIsCurrent(outDir = join(repoRoot, 'dist')): boolean {
  const stamp = join(outDir, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputsHash();
}

export function build(outDir = join(repoRoot, 'dist')): { ms: number } {
  const started = performance.now();
  rmSync(outDir, { recursive: true, force: true });
  const tsc = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status})`);
  const copy = (file: string) => {
    mkdirSync(dirname(join(outDir, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(outDir, file));
  };
  copy('generated/openapi.json');
  copy('docs/index.html');
  for (const file of readdirSync(join(repoRoot, 'generated', 'validators')))
    if (file.endsWith('.cjs')) copy(join('generated', 'validators', file));
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`);

  const sources = [...discoverMigrations().keys()];
  const compiled = discoverMigrations(join(outDir, 'src'));
  const missing = sources.filter((name) => !compiled.get(name)?.endsWith('.js'));
  if (missing.length || compiled.size !== sources.length)
    throw new Error(`dist has no compiled file for migrations ${missing.join(', ')}`);
  writeFileSync(join(outDir, STAMP), `${inputsHash()}\n`);
  return { ms: Math.round(performance.now() - started) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const index = process.argv.indexOf('--out');
  const outDir = index === -1 ? join(repoRoot, 'dist') : resolve(process.argv[index + 1]!);
  try {
    const { ms } = build(outDir);
    console.log(
      `built ${relative(process.cwd(), outDir) || '.'} in ${(ms / 1000).toFixed(1)} s: node ${relative(process.cwd(), join(outDir, 'src', 'server.js'))}`,
    );
  } catch (error) {
    console.error(`build failed: ${(error as Error).message}`);
    process.exit(1);
  }
}

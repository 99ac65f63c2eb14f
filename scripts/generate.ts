// `npm run generate`: openapi/ -> generated/ and docs/index.html, deterministically.
// `npm run generate:check`: the same into a temporary directory, then fails naming every file that differs
// from what is committed.
//   1. lint openapi/ (redocly.yaml) and bundle it into generated/openapi.json, the one file everything reads,
//      with each problem response narrowed to the codes its operation documents (generate/operation-problem-codes.ts)
//   2. generated/client      typed client package (@hey-api/openapi-ts)
//   3. generated/server      operation table and the Handlers type, built on the client's types
//   4. generated/validators  AJV standalone validators for every input and documented response
//   5. generated/server/problem-codes.gen.ts   the problem codes the errors guide explains
//   6. generated/samples + docs/index.html   client and curl samples per operation; Redoc with the guides
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { bin, repoRoot, run } from './generate/run.js';
import { checkPathFilesReferenced, loadContract } from './generate/contract.js';
import { generateClient } from './generate/client.js';
import { applyProblemCodes } from './generate/operation-problem-codes.js';
import { generateServerTypes } from './generate/server-types.js';
import { generateValidators } from './generate/validators.js';
import { generateDocs, writeGuideSamples, writeSamples } from './generate/docs.js';
import { readProblemCodes, writeProblemCodes } from './generate/problem-codes.js';

const check = process.argv.includes('--check');
const outRoot = check ? mkdtempSync(join(tmpdir(), 'generate-check-')) : repoRoot;
const generatedDir = join(outRoot, 'generated');
const docsFile = join(outRoot, 'docs', 'index.html');
const timings: Array<[string, number]> = [];

async function step(name: string, fn: () => unknown): Promise<void> {
  const started = performance.now();
  await fn();
  timings.push([name, performance.now() - started]);
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      // Not generated: installed packages, the client's build output and `npm pack` tarballs (all git-ignored).
      .filter(
        (file) =>
          !file.split(/[\\/]/).includes('node_modules') && !file.startsWith('client/dist') && !file.endsWith('.tgz'),
      )
      .sort()
  );
}

/** Every generated file that is missing, extra or different in the committed tree. */
function compareTrees(): string[] {
  const problems: string[] = [];
  const pairs: Array<[string, string, string]> = [];
  const fresh = listFiles(generatedDir);
  const committed = listFiles(join(repoRoot, 'generated'));
  for (const file of new Set([...fresh, ...committed]))
    pairs.push([`generated/${file}`, join(generatedDir, file), join(repoRoot, 'generated', file)]);
  pairs.push(['docs/index.html', docsFile, join(repoRoot, 'docs', 'index.html')]);
  for (const [name, a, b] of pairs) {
    if (!existsSync(b)) problems.push(`missing from the committed tree: ${name}`);
    else if (!existsSync(a)) problems.push(`not generated any more (delete it): ${name}`);
    else if (!readFileSync(a).equals(readFileSync(b))) problems.push(`differs: ${name}`);
  }
  return problems;
}

async function main(): Promise<void> {
  const bundlePath = join(generatedDir, 'openapi.json');
  await step('lint + bundle', () => {
    checkPathFilesReferenced();
    run(bin('redocly'), ['lint', 'openapi/openapi.yaml', '--format', 'stylish']);
    // Wipe everything generated except the client's build output and install links.
    if (!check) {
      for (const entry of existsSync(generatedDir) ? readdirSync(generatedDir) : []) {
        if (entry !== 'client') rmSync(join(generatedDir, entry), { recursive: true, force: true });
      }
      rmSync(join(generatedDir, 'client', 'src'), { recursive: true, force: true });
    }
    mkdirSync(generatedDir, { recursive: true });
    run(bin('redocly'), ['bundle', 'openapi/openapi.yaml', '--output', bundlePath, '--lint-config', 'off']);
    // Each problem response narrowed to the codes its operation documents; stable formatting, whatever the bundler's.
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    applyProblemCodes(bundle);
    writeFileSync(bundlePath, `${JSON.stringify(bundle, null, 2)}\n`);
  });
  const contract = loadContract(bundlePath);
  await step('client', () => generateClient(contract, join(generatedDir, 'client')));
  await step('server types', () =>
    generateServerTypes(
      contract,
      join(generatedDir, 'server'),
      join(generatedDir, 'client', 'src', 'gen', 'types.gen.ts'),
    ),
  );
  await step('validators', () => generateValidators(contract, join(generatedDir, 'validators')));
  const guidesDir = join(repoRoot, 'docs', 'guides');
  await step('problem codes', () =>
    writeProblemCodes(
      readProblemCodes(readFileSync(join(guidesDir, 'errors.md'), 'utf8')),
      join(generatedDir, 'server'),
    ),
  );
  await step('samples + docs', () => {
    const samples = writeSamples(contract, join(generatedDir, 'samples'));
    writeGuideSamples(guidesDir, join(generatedDir, 'samples'));
    generateDocs(contract, samples, guidesDir, docsFile);
  });

  const total = timings.reduce((sum, [, ms]) => sum + ms, 0);
  const perStep = timings.map(([name, ms]) => `${name} ${(ms / 1000).toFixed(2)}s`).join(', ');
  console.log(`generated ${contract.operations.length} operations in ${(total / 1000).toFixed(2)}s (${perStep})`);

  if (check) {
    const problems = compareTrees();
    rmSync(outRoot, { recursive: true, force: true });
    if (problems.length) {
      console.error(
        `generate:check failed: the committed generated files are stale. Run \`npm run generate\` and commit.\n  ${problems.join('\n  ')}`,
      );
      process.exit(1);
    }
    console.log('generate:check: generated files are up to date');
  }
}

main().catch((error: unknown) => {
  if (check) rmSync(outRoot, { recursive: true, force: true });
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// `npm run test:partner`: what a partner does with the client, from outside the repository (CI runs it).
//   1. `npm pack` @platform/client (packing builds it);
//   2. a scratch project in the system's temp directory: the tarball and its own TypeScript installed,
//      test/partner/project copied in, and the streaming guide's sample as src/room-stream.ts;
//   3. `tsc` with strict settings (skipLibCheck off, so the package's declarations are checked too);
//   4. the program run against a live server (src/server.ts on a free port, PGlite in a scratch directory).
// Exits 1 on any failure. `-- --keep` leaves the scratch project in place.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'partner-'));
const keep = process.argv.includes('--keep');
const devDependencies = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
).devDependencies;

function run(command: string, args: string[], cwd: string): string {
  console.log(`$ ${command} ${args.join(' ')}`);
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The ```ts block of the streaming guide that defines followRoom: the pattern partners are told to copy. */
function guideSample(): string {
  const guide = readFileSync(join(repoRoot, 'docs', 'guides', 'streaming.md'), 'utf8');
  const block = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((code) => code.includes('export async function followRoom'));
  if (!block) throw new Error('docs/guides/streaming.md has no ```ts block exporting followRoom');
  return block;
}

async function startServer(port: number) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: join(scratch, 'data'),
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['src/server.ts'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the server did not become ready within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

let server: { stop(): Promise<void> } | undefined;
try {
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', scratch], join(repoRoot, 'generated', 'client')),
  ) as Array<{ filename: string }>;
  const tarball = packed[0]!.filename;
  cpSync(join(repoRoot, 'test', 'partner', 'project'), scratch, { recursive: true });
  writeFileSync(join(scratch, 'src', 'room-stream.ts'), guideSample());
  writeFileSync(
    join(scratch, 'package.json'),
    `${JSON.stringify(
      {
        name: 'partner-app',
        private: true,
        type: 'module',
        dependencies: { '@platform/client': `file:./${tarball}` },
        devDependencies: { typescript: devDependencies.typescript, '@types/node': devDependencies['@types/node'] },
      },
      null,
      2,
    )}\n`,
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], scratch);
  run(join(scratch, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], scratch);
  const port = await freePort();
  server = await startServer(port);
  execFileSync(process.execPath, ['dist/main.js', `http://127.0.0.1:${port}`], { cwd: scratch, stdio: 'inherit' });
  console.log('test:partner passed');
} catch (error) {
  console.error(`test:partner failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await server?.stop();
  if (keep) console.log(`scratch project kept in ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

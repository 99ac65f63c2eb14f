// The compiled server (`npm run build`, then `npm run start:prod`: plain `node dist/src/server.js`, no tsx) on a
// fresh, empty database: it migrates from the compiled migration files, serves /readyz as ready (every
// migration applied), answers an API call and /docs (read from beside its code), and stops in its six phases.
// On PGlite a new temporary data directory; with DATABASE_URL a new empty database on that server.
//
// The build: CI's `build` step (.ci/run) writes dist/ before the suites run, and this file uses it when its
// stamp matches the sources (scripts/build.ts, `buildIsCurrent`). Otherwise (a fresh clone running `npm test`,
// sources changed since the last build) it builds into a directory of its own and removes it afterwards: never
// skipped, and never testing a stale build, nor overwriting a dist/ someone is running.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build, buildIsCurrent, repoRoot } from '../../scripts/build.js';
import { spawnServer, type ServerProcess } from '../helpers/child-server.js';
import { copyPostgresTemplate } from '../helpers/template-database.js';
import { SHUTDOWN_PHASES } from '../../src/platform/shutdown.js';

let dist = join(repoRoot, 'dist');
let ownBuild: string | undefined;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  if (buildIsCurrent(dist)) return;
  // Inside the repository, so node finds node_modules from the compiled files.
  ownBuild = join(repoRoot, 'node_modules', '.cache', `platform-build-${randomBytes(4).toString('hex')}`);
  build(ownBuild);
  dist = ownBuild;
}, 240_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  if (ownBuild) rmSync(ownBuild, { recursive: true, force: true });
});

/** An empty database: nothing migrated yet. */
async function emptyDatabase(): Promise<Record<string, string>> {
  if (process.env.DATABASE_URL) {
    const copy = await copyPostgresTemplate(process.env.DATABASE_URL, 'template1');
    cleanups.push(copy.drop);
    return { DATABASE_URL: copy.url, DATABASE_SCHEMA: '' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'platform-compiled-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return { DATABASE_URL: '', DATA_DIR: join(dir, 'data') };
}

describe(`the compiled server (node dist/src/server.js) on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`, () => {
  it('migrates an empty database, is ready, serves the API and the docs, and stops in its six phases', async () => {
    const server: ServerProcess = spawnServer({ ...(await emptyDatabase()), NODE_ENV: 'production' }, [
      join(dist, 'src', 'server.js'),
    ]);
    cleanups.push(async () => void (await server.kill()));
    const baseUrl = await server.listening(120_000);
    expect(baseUrl, server.stderr() || server.stdout()).toBeDefined();
    expect(server.process.spawnargs).toEqual([process.execPath, join(dist, 'src', 'server.js')]); // no tsx

    const ready = await fetch(`${baseUrl}/readyz`);
    const body = (await ready.json()) as { status: string; checks: Record<string, string>; details: unknown[] };
    expect(ready.status, JSON.stringify(body)).toBe(200);
    expect(body.checks).toEqual({ database: 'ok', migrations: 'ok', eventBus: 'ok', shutdown: 'ok' });

    const signUp = await fetch(`${baseUrl}/api/auth/sign-up`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Compiled', email: 'compiled@example.com', password: 'correct-horse-battery' }),
    });
    expect(signUp.status, await signUp.clone().text()).toBe(201);
    const { token } = (await signUp.json()) as { token: string };
    const me = await fetch(`${baseUrl}/api/auth/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(JSON.stringify(await me.json())).toContain('compiled@example.com');
    const docs = await fetch(`${baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('<html');

    expect(await server.kill('SIGTERM'), server.stdout().slice(-2000)).toBe(0);
    const phases = server
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"shutdown phase ended"'))
      .map((line) => (JSON.parse(line) as { phase: string }).phase);
    expect(phases).toEqual([...SHUTDOWN_PHASES]);
  }, 240_000);
});

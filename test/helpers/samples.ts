// Runs the docs' samples as a reader would: a curl sample with bash, a client sample with Node (tsx, against
// the @platform/client workspace package), each as written except that `npm start`'s address is the demo
// server's, as the docs served by that server show it. What each received is observed from outside the
// sample: curl's status through a .curlrc (`write-out`), the client's through a fetch recorder loaded before
// it (record-fetch.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BASE_URL } from '../../src/demo/fixtures.js';
import { databaseEnv, startChildServer, type ChildServer } from './child-server.js';
import { databaseSettings } from './database.js';

const root = join(import.meta.dirname, '..', '..');
/** Where client samples are written: inside the repository, so `@platform/client` resolves as in a project. */
const scratchRoot = join(root, 'node_modules', '.cache', 'samples');

export interface SampleRun {
  /** The statuses of the responses it received, in order. */
  statuses: number[];
  stdout: string;
  stderr: string;
  /** The exit code; null when it was stopped (a stream that goes on). */
  code: number | null;
}

export interface DemoServer extends ChildServer {
  /** The sample as the served docs show it: the demo server's origin instead of `npm start`'s. */
  served(sample: string): string;
  stop(): Promise<void>;
}

/** A demo server (`DEMO=true`, as `npm start` runs it) on a fresh database of its own. */
export async function startDemoServer(): Promise<DemoServer> {
  const { settings, cleanup } = await databaseSettings();
  const server = await startChildServer({
    ...databaseEnv(settings),
    DEMO: 'true',
    ADMIN_EMAILS: '',
    ADMIN_PASSWORD: '',
    RUN_POLL_MS: '100',
  });
  return {
    ...server,
    served: (sample) => sample.split(DEFAULT_BASE_URL).join(server.baseUrl),
    stop: async () => {
      await server.kill('SIGTERM');
      await cleanup();
    },
  };
}

/** Whether the docs page shows `text` in its state (JSON strings, with `<` escaped as Redoc writes them). */
export function docsShow(html: string, text: string): boolean {
  return html.includes(JSON.stringify(text).slice(1, -1).replace(/</g, '\\u003c'));
}

/** A generated sample's text, without its DO NOT EDIT line (the docs show it without). */
export function generatedSample(operationId: string, extension: 'ts' | 'sh'): string {
  return readFileSync(join(root, 'generated', 'samples', `${operationId}.${extension}`), 'utf8').replace(
    /^(\/\/|#) This file is generated.*\n/,
    '',
  );
}

/** Runs a curl sample with bash; curl gives up after `maxSeconds` (what cuts a stream that goes on). */
export async function runCurl(sample: string, maxSeconds = 30): Promise<SampleRun> {
  const dir = mkdtempSync(join(scratchRoot0(), 'curl-'));
  try {
    // curl reads $CURL_HOME/.curlrc before its arguments: the sample's own words stay as they are.
    writeFileSync(join(dir, '.curlrc'), `write-out = "\\n@@status %{http_code}\\n"\nmax-time = ${maxSeconds}\n`);
    writeFileSync(join(dir, 'sample.sh'), sample);
    const run = await execute('bash', ['sample.sh'], { cwd: dir, env: { ...process.env, CURL_HOME: dir } }, 60_000);
    const statuses = [...run.stdout.matchAll(/@@status (\d+)/g)].map((m) => Number(m[1]));
    return { ...run, statuses };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a client sample with Node; `stream` samples run until they have printed and received an answer, then
 * for `streamMs` more, and are stopped (a room stream never ends by itself).
 */
export async function runClientSample(
  sample: string,
  options: { stream?: boolean; streamMs?: number } = {},
): Promise<SampleRun> {
  const dir = mkdtempSync(join(scratchRoot0(), 'client-'));
  const statusLog = join(dir, 'statuses.log');
  try {
    // An ES module, as in a partner's project ("type": "module"): the samples use top-level await.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(dir, 'sample.ts'), sample);
    writeFileSync(statusLog, '');
    const run = await execute(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        '--import',
        join(import.meta.dirname, 'record-fetch.mjs'),
        join(dir, 'sample.ts'),
      ],
      { cwd: root, env: { ...process.env, SAMPLE_STATUS_LOG: statusLog } },
      60_000,
      options.stream ? (out) => out.trim().length > 0 && readFileSync(statusLog, 'utf8').length > 0 : undefined,
      options.streamMs ?? 1500,
    );
    const statuses = readFileSync(statusLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split(' ').at(-1)));
    return { ...run, statuses };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function scratchRoot0(): string {
  mkdirSync(scratchRoot, { recursive: true });
  return scratchRoot;
}

/** Runs a process to its end, or stops it `graceMs` after `enough(stdout)` first holds. */
function execute(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  timeoutMs: number,
  enough?: (stdout: string) => boolean,
  graceMs = 0,
): Promise<Omit<SampleRun, 'statuses'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stopping: NodeJS.Timeout | undefined;
    let stopped = false;
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran over ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (enough && !stopping && enough(stdout))
        stopping = setTimeout(() => {
          stopped = true;
          child.kill('SIGTERM');
        }, graceMs);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timeout);
      clearTimeout(stopping);
      resolve({ stdout, stderr, code: stopped ? null : code });
    });
  });
}

// The production log's destination (src/platform/log-destination.ts): lines gathered into chunks, written in
// order; nothing held is lost when the process stops, whether by log.flush (a graceful stop), process.exit or an
// uncaught exception; a pipe whose reader is slower than the writer (EAGAIN) loses nothing either.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { batchedDestination } from '../../src/platform/log-destination.js';

const root = join(import.meta.dirname, '..', '..');

/** The numbers of the lines a run wrote, in the order written. */
const numbers = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { n: number }).n);
const upTo = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

/** Runs test/helpers/log-writer.ts; its stdout is read slowly when `slowReader` (the pipe fills up). */
function writer(count: number, end: 'throw' | 'exit' | 'flush', slowReader = false) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/log-writer.ts', String(count), end], {
    cwd: root,
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  if (slowReader) child.stdout.pause();
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
  });
  return new Promise<{ code: number | null; stdout: string }>((resolve) => {
    if (slowReader) setTimeout(() => child.stdout.resume(), 1500);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('the production log destination', () => {
  it('holds lines until a chunk is full, then writes them in order; flush writes the rest', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'log-destination-')), 'out.log');
    const fd = openSync(file, 'w');
    const log = pino({ level: 'info', base: undefined, timestamp: false }, batchedDestination(fd, 1000));
    log.info({ n: 1 }, 'line');
    log.info({ n: 2 }, 'line');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readFileSync(file, 'utf8')).toBe(''); // two short lines: no chunk yet
    for (let n = 3; n <= 100; n++) log.info({ n }, 'line');
    await new Promise<void>((resolve, reject) => log.flush((error) => (error ? reject(error) : resolve())));
    expect(numbers(readFileSync(file, 'utf8'))).toEqual(upTo(100));
    closeSync(fd);
  });

  it.each([
    ['log.flush, then exit', 'flush', 0],
    ['process.exit at once', 'exit', 0],
    ['an uncaught exception', 'throw', 1],
  ] as const)('loses no line when the process stops by %s', async (_name, end, exitCode) => {
    const { code, stdout } = await writer(25, end);
    expect(code).toBe(exitCode);
    expect(numbers(stdout)).toEqual(upTo(25)); // fewer than a chunk: all of them were still gathered
  });

  it('loses no line to a reader slower than the writer, the process exiting while the pipe is full', async () => {
    const count = 20_000; // ~400 KB: several times what the pipe holds
    const { code, stdout } = await writer(count, 'exit', true);
    expect(code).toBe(0);
    expect(numbers(stdout)).toEqual(upTo(count));
  }, 60_000);
});

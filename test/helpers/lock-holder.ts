// A child process for test/runtime/data-dir-lock.test.ts: takes and releases data-directory locks on command,
// so tests can race several real processes for one lock and kill a holder. Reads lines on stdin:
// `lock <dir>` answers `locked` or `refused <message>`; `release` answers `released`.
import { createInterface } from 'node:readline';
import { lockDataDir } from '../../src/platform/lock.js';

let release: (() => Promise<void>) | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

say('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...rest] = line.split(' ');
  if (command === 'lock') {
    try {
      release = await lockDataDir(rest.join(' '));
      say('locked');
    } catch (error) {
      say(`refused ${(error as Error).message}`);
    }
  } else if (command === 'release') {
    await release?.();
    release = undefined;
    say('released');
  }
}

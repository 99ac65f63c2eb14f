// The embedded database's lock (src/platform/lock.ts), with real processes: refused while its owner lives,
// taken at once when the owner is gone (killed, a zombie, or its PID now another process's), judged by its
// heartbeat when the owner cannot be checked (another PID namespace or host), and exactly one winner among
// processes racing for a dead owner's lock. No database is opened: the lock is all that is tested here.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/platform/lock.js';

const root = join(import.meta.dirname, '..', '..');
const IN_USE =
  /^The data directory .* is in use by another process \(PGlite allows one\)\. Stop the other server, or start this one with another DATA_DIR or with DATABASE_URL\.$/;
const linux = process.platform === 'linux';

/** A child process taking and releasing locks on command (test/helpers/lock-holder.ts). */
class Holder {
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
    child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static async start(): Promise<Holder> {
    const holder = new Holder(
      spawn(process.execPath, ['--import', 'tsx', 'test/helpers/lock-holder.ts'], { cwd: root }),
    );
    expect(await holder.next()).toBe('ready');
    return holder;
  }

  next(): Promise<string> {
    const line = this.lines.shift();
    return line !== undefined
      ? Promise.resolve(line)
      : new Promise((resolve) => {
          this.waiting = resolve;
        });
  }

  send(command: string): Promise<string> {
    this.child.stdin.write(`${command}\n`);
    return this.next();
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

let work: string;
let dataDir: string;
let lockFile: string;
const holders: Holder[] = [];
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'lock-test-'));
  dataDir = join(work, 'data');
  lockFile = `${dataDir}.lock`;
});
afterEach(async () => {
  await Promise.all(holders.splice(0).map((holder) => holder.kill()));
  rmSync(work, { recursive: true, force: true });
});

async function holder(): Promise<Holder> {
  const started = await Holder.start();
  holders.push(started);
  return started;
}

/** What this process writes in the lock file, to forge other owners' records from. */
async function ownRecord(): Promise<Record<string, unknown> & { pid: number; start?: string; space: string }> {
  const release = await lockDataDir(dataDir);
  const record = JSON.parse(readFileSync(lockFile, 'utf8'));
  await release();
  return record;
}

function writeRecord(path: string, record: object, ageMs = 0): string {
  const text = `${JSON.stringify(record)}\n`;
  writeFileSync(path, text);
  const at = new Date(Date.now() - ageMs);
  utimesSync(path, at, at);
  return text;
}

/** A PID no process has any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('the data directory lock', () => {
  it('refuses while its owner lives, with the message; is taken at once after the owner is killed; released, it is gone', async () => {
    const owner = await holder();
    expect(await owner.send(`lock ${dataDir}`)).toBe('locked');
    const refused = await timed(() =>
      lockDataDir(dataDir).then(
        () => 'locked',
        (error: Error) => error.message,
      ),
    );
    expect(refused.result).toMatch(IN_USE);
    expect(refused.ms).toBeLessThan(1000);

    await owner.kill();
    const taken = await timed(() => lockDataDir(dataDir));
    expect(taken.ms).toBeLessThan(1000);
    await taken.result();
    expect(existsSync(lockFile)).toBe(false);
  }, 60_000);

  it("lets exactly one of several processes racing for a dead owner's lock take it, round after round", async () => {
    const record = await ownRecord();
    const racers = await Promise.all([holder(), holder(), holder(), holder()]);
    for (let round = 0; round < 6; round++) {
      writeRecord(lockFile, { ...record, pid: deadPid(), nonce: `dead-${round}` });
      const answers = await Promise.all(racers.map((racer) => racer.send(`lock ${dataDir}`)));
      const winners = racers.filter((_, i) => answers[i] === 'locked');
      expect(winners, answers.join('\n')).toHaveLength(1);
      for (const answer of answers.filter((a) => a !== 'locked'))
        expect(answer.replace(/^refused /, '')).toMatch(IN_USE);
      expect(await winners[0]!.send('release')).toBe('released');
      expect(readdirSync(work).filter((name) => name.includes('.takeover-'))).toEqual([]);
    }
  }, 90_000);

  it.skipIf(!linux)(
    'takes at once a lock whose PID now belongs to another process (its start time differs)',
    async () => {
      const record = await ownRecord();
      expect(record.start).toMatch(/^\d+$/);
      writeRecord(lockFile, { ...record, start: String(Number(record.start) + 1) }); // this process's PID, another start
      const taken = await timed(() => lockDataDir(dataDir));
      expect(taken.ms).toBeLessThan(1000);
      await taken.result();
    },
  );

  it.skipIf(!linux)('takes at once a lock whose owner is a zombie (killed, not reaped yet)', async () => {
    const record = await ownRecord();
    // `sleep 0` becomes a zombie: its parent execs `sleep 30`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30']);
    try {
      const pid = Number((await createInterface({ input: parent.stdout })[Symbol.asyncIterator]().next()).value);
      let stat = '';
      for (let i = 0; i < 100 && !/\) Z /.test(stat); i++) {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(stat).toMatch(/\) Z /);
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      writeRecord(lockFile, { ...record, pid, start });
      const taken = await timed(() => lockDataDir(dataDir));
      expect(taken.ms).toBeLessThan(1000);
      await taken.result();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('judges an owner it cannot check (another PID namespace or host) by its heartbeat', async () => {
    const record = { ...(await ownRecord()), space: 'another-boot/pid:[1]', pid: 1 };
    // Beating: refused within a few heartbeats.
    writeRecord(lockFile, record);
    const beat = setInterval(() => {
      const now = new Date();
      utimesSync(lockFile, now, now);
    }, 300);
    try {
      const refused = await timed(() =>
        lockDataDir(dataDir).then(
          () => 'locked',
          (error: Error) => error.message,
        ),
      );
      expect(refused.result).toMatch(IN_USE);
      expect(refused.ms).toBeLessThan(3000);
    } finally {
      clearInterval(beat);
    }
    // Silent for 10 s: taken at once.
    writeRecord(lockFile, record, 11_000);
    const stale = await timed(() => lockDataDir(dataDir));
    expect(stale.ms).toBeLessThan(1000);
    await stale.result();
    // Silent for 9.3 s: waited for (not refused), then taken.
    writeRecord(lockFile, record, 9_300);
    const waited = await timed(() => lockDataDir(dataDir));
    expect(waited.ms).toBeGreaterThan(400);
    expect(waited.ms).toBeLessThan(4000);
    await waited.result();
  }, 30_000);

  it("honours an older version's lock directory while it is refreshed, and replaces it once stale", async () => {
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(lockFile);
    const beat = setInterval(() => {
      const now = new Date();
      utimesSync(lockFile, now, now);
    }, 300);
    try {
      const refused = await timed(() =>
        lockDataDir(dataDir).then(
          () => 'locked',
          (error: Error) => error.message,
        ),
      );
      expect(refused.result).toMatch(IN_USE);
      expect(refused.ms).toBeLessThan(3000);
    } finally {
      clearInterval(beat);
    }
    const old = new Date(Date.now() - 11_000);
    utimesSync(lockFile, old, old);
    const release = await lockDataDir(dataDir);
    expect(statSync(lockFile).isFile()).toBe(true);
    await release();
  }, 30_000);

  it("is not blocked by a process that died while taking a dead owner's lock over", async () => {
    const record = await ownRecord();
    const dead = writeRecord(lockFile, { ...record, pid: deadPid(), nonce: 'dead-owner' });
    const marker = `${lockFile}.takeover-${createHash('sha256').update(dead).digest('hex').slice(0, 16)}`;
    writeRecord(marker, { ...record, pid: deadPid(), nonce: 'dead-taker' });
    const taken = await timed(() => lockDataDir(dataDir));
    expect(taken.ms).toBeLessThan(1000);
    expect(readdirSync(work).filter((name) => name.includes('.takeover-'))).toEqual([]);
    await taken.result();
  });

  it('keeps the lock beating while held, and stops its process if another process takes it', async () => {
    const owner = await holder();
    expect(await owner.send(`lock ${dataDir}`)).toBe('locked');
    const first = statSync(lockFile).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(statSync(lockFile).mtimeMs).toBeGreaterThan(first);

    writeRecord(lockFile, { ...JSON.parse(readFileSync(lockFile, 'utf8')), nonce: 'another-process' });
    expect(await owner.exited).not.toBe(0);
    expect(owner.stderr).toContain('was removed or taken by another process');
  }, 30_000);
});

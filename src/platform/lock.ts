// PGlite corrupts a data directory opened by two processes at once, so the server holds an exclusive lock on
// it for as long as it runs: a file beside the data (`<dir>.lock`), created exclusively (`wx`), naming its
// owner. A second server finds the file, checks the owner, and refuses to start while the owner lives; when
// the owner is gone (a crash, SIGKILL) it takes the lock over at once, so a supervisor's restart is not refused.
//
// Who is the owner, and is it alive:
// - Same machine, same PID namespace (Linux: same boot id and PID namespace; elsewhere: same host name): the
//   owner's PID and, on Linux, its start time (/proc/<pid>/stat field 22), so a PID the system has since
//   given to another process is not taken for the owner. A zombie (killed, not yet reaped) is gone.
// - Anything that cannot be checked that way (another container with its own PID namespace, another host
//   sharing the directory, a PID that exists but whose start time cannot be read, as on macOS or Windows): the
//   owner touches the file every 2 s (its heartbeat). A start watches it: a file seen beating is refused
//   (within 2 s), a file untouched for 10 s is taken. A container restarted with a new PID namespace so
//   waits (without exiting) until 10 s after the crash, then starts.
//
// Taking over is atomic: several processes finding the same dead owner race for a marker file named after that
// owner's record (`<dir>.lock.takeover-<hash>`, created exclusively); only the one that creates it may delete
// the dead record, and the exclusive create of the lock file then picks exactly one winner. A process that dies
// holding a marker is itself judged like an owner, and the next taker goes one marker further.
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const HEARTBEAT_MS = 2_000;
const STALE_MS = 10_000;
/** How long a start keeps trying before it gives up: past a stale period, so a silent owner is decided. */
const PATIENCE_MS = STALE_MS + 5_000;

/** What the lock file holds (one JSON line). */
interface Owner {
  pid: number;
  /** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  start?: string;
  /** Where `pid` means something: Linux `<boot id>/<PID namespace>`, elsewhere `host:<name>`. */
  space: string;
  host: string;
  since: string;
  nonce: string;
}

/** A lock or marker file as read: its text (undefined for a directory) and when it was last touched. */
interface Seen {
  text?: string;
  owner?: Owner;
  mtimeMs: number;
}

const self = ((): Owner => {
  const start = procStat('self')?.start;
  let space = `host:${hostname()}`;
  if (start !== undefined) {
    try {
      space = `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}/${readlinkSync('/proc/self/ns/pid')}`;
    } catch {
      /* no namespace information: the host name stands for it */
    }
  }
  return { pid: process.pid, start, space, host: hostname(), since: '', nonce: '' };
})();

export class DataDirInUse extends Error {
  constructor(dataDir: string) {
    super(
      `The data directory ${dataDir} is in use by another process (PGlite allows one). ` +
        'Stop the other server, or start this one with another DATA_DIR or with DATABASE_URL.',
    );
  }
}

/** Takes the lock on `dataDir` (creating the directory), or throws DataDirInUse; resolves to its release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  const path = `${dataDir}.lock`;
  const mine = `${JSON.stringify({ ...self, since: new Date().toISOString(), nonce: randomBytes(8).toString('hex') })}\n`;
  const giveUp = Date.now() + PATIENCE_MS;
  let watched: Seen | undefined; // an owner that cannot be checked, watched for its heartbeat
  while (!createExclusive(path, mine)) {
    const held = read(path);
    if (!held) continue; // released meanwhile
    const alive = isAlive(held);
    if (alive === true) throw new DataDirInUse(dataDir);
    if (alive === undefined) {
      if (watched && watched.text === held.text && watched.mtimeMs !== held.mtimeMs) throw new DataDirInUse(dataDir);
      if (!watched || watched.text !== held.text) watched = held;
      if (Date.now() > giveUp) throw new DataDirInUse(dataDir);
      await sleep(250);
      continue;
    }
    if (!removeDead(path, held, mine)) {
      if (Date.now() > giveUp) throw new DataDirInUse(dataDir);
      await sleep(50); // another process is taking it over: see who won
    }
  }
  return hold(path, mine);
}

/** Keeps the lock's heartbeat while held; the returned function releases it. */
function hold(path: string, mine: string): () => Promise<void> {
  let released = false;
  let beat: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    beat = (async () => {
      const now = new Date();
      try {
        if ((await readFile(path, 'utf8')) === mine) return await utimes(path, now, now);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return; // a transient error: the next beat retries
      }
      if (released) return;
      // The file is gone or another process's: that process may have opened the database. Stop before
      // both write to it (as an uncaught exception, so the process exits whoever started it).
      clearInterval(timer);
      setImmediate(() => {
        throw new Error(
          `The lock on the data directory (${path}) was removed or taken by another process; stopping, since PGlite corrupts a directory two processes write to.`,
        );
      });
    })();
  }, HEARTBEAT_MS);
  timer.unref();
  return async () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    await beat;
    if (read(path)?.text === mine) unlinkSync(path);
  };
}

/**
 * Deletes the dead record `held` from `path` if no other process is already doing so (`mine`, the caller's
 * record, marks the takeover as its). True when the record is gone (deleted here, or by another taker
 * before), false when a live process holds the takeover.
 */
function removeDead(path: string, held: Seen, mine: string): boolean {
  let marker = `${path}.takeover-${digest(held)}`;
  const walked: string[] = [];
  while (!createExclusive(marker, mine)) {
    const taker = read(marker);
    if (!taker) continue;
    const alive = isAlive(taker);
    if (alive === true || (alive === undefined && Date.now() - taker.mtimeMs < STALE_MS)) return false;
    walked.push(marker); // that taker died: go one marker further
    marker = `${marker}-${digest(taker).slice(0, 8)}`;
  }
  walked.push(marker);
  try {
    // Only a holder of this record's marker changes the file while it holds this record: it is still `held`,
    // or another taker already replaced it.
    const now = read(path);
    if (now && now.text === held.text && (held.text !== undefined || now.mtimeMs === held.mtimeMs)) {
      rmSync(path, { recursive: held.text === undefined });
    }
  } finally {
    for (const file of walked) rmSync(file, { force: true });
  }
  return true;
}

/** true: the owner runs; false: it is gone; undefined: it cannot be checked here (see the heartbeat). */
function isAlive(seen: Seen): boolean | undefined {
  const owner = seen.owner;
  if (!owner || owner.space !== self.space) return staleOr(seen);
  if (owner.start !== undefined && self.start !== undefined) {
    const stat = procStat(String(owner.pid));
    if (stat) return stat.start === owner.start && stat.state !== 'Z' && stat.state !== 'X';
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return staleOr(seen); // something runs under that PID (perhaps reused): the heartbeat tells
}

function staleOr(seen: Seen): false | undefined {
  return Date.now() - seen.mtimeMs >= STALE_MS ? false : undefined;
}

/** Creates `path` holding `text`, or returns false if it exists. */
function createExclusive(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Reads a lock or marker file; undefined if there is none. A directory is an older version's lock. */
function read(path: string): Seen | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR' || code === 'EPERM') return { mtimeMs: statSync(path).mtimeMs };
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { mtimeMs: stat.mtimeMs };
    const text = readFileSync(fd, 'utf8');
    return { text, owner: parseOwner(text), mtimeMs: stat.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/** The owner a lock file names; undefined while it is being written, or if it is not one of ours. */
function parseOwner(text: string): Owner | undefined {
  try {
    const owner = JSON.parse(text) as Owner;
    return Number.isSafeInteger(owner.pid) && owner.pid > 0 && typeof owner.space === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

function digest(seen: Seen): string {
  return createHash('sha256')
    .update(seen.text ?? `directory ${seen.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
}

/** A process's state and start time from /proc/<pid>/stat (Linux); undefined when there is no such entry. */
function procStat(pid: string): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command) is in parentheses and may hold spaces or parentheses: count from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19]; // field 22
  return state && start ? { state, start } : undefined;
}

// The production log's destination. pino's lines are joined here into chunks of about 4 KB, and each chunk is
// handed to sonic-boom (pino.destination), which writes it asynchronously and takes care of partial writes and a
// pipe that is full (EAGAIN). Why not sonic-boom's own buffer (its `minLength`): it appends each line to one
// string and measures that string's UTF-8 length on every write, which copies the string each time: ~10.8 KB
// allocated and ~4.1 µs of CPU per access line, against ~2.1 KB and ~1.4 µs joined here (docs/benchmarks.md, "The
// platform's own work"). What a SIGKILL can lose is unchanged: the chunk being gathered (4 KB, one second of lines
// at most: createLogger flushes every second) and the write in flight.
import { writeSync } from 'node:fs';
import pino from 'pino';

/** A pino destination (`pino(options, destination)`). */
export interface LogDestination {
  write(line: string): boolean;
  /** Hands the lines gathered here to sonic-boom; `done` runs once it has no write in flight. */
  flush(done?: (error?: Error) => void): void;
  /** Writes out everything held, synchronously (at exit). */
  flushSync(): void;
}

/** Lines to `fd` (1: stdout) in chunks of `chunkChars` characters, written asynchronously. */
export function batchedDestination(fd: number, chunkChars = 4096): LogDestination {
  const stream = pino.destination({ dest: fd, minLength: 1, sync: false });
  let lines: string[] = [];
  let chars = 0;
  const take = (): string | undefined => {
    if (chars === 0) return undefined;
    const text = lines.join('');
    lines = [];
    chars = 0;
    return text;
  };
  const release = (): boolean => {
    const text = take();
    return text === undefined || stream.write(text);
  };
  const destination: LogDestination = {
    write(line) {
      lines.push(line);
      chars += line.length;
      return chars < chunkChars || release();
    },
    flush(done) {
      release();
      stream.flush(done);
    },
    flushSync() {
      // sonic-boom's queue first (older lines), then the chunk gathered here. Not through sonic-boom: a write it
      // accepts now may start asynchronously, and the process would not wait for it.
      stream.flushSync();
      const text = take();
      if (text !== undefined) writeAllSync(fd, Buffer.from(text));
    },
  };
  // pino writes sonic-boom's queue out as the process exits; the chunk gathered here too.
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // Nowhere left to write to (the reader of stdout is gone): nothing to do at exit.
    }
  });
  return destination;
}

const PIPE_FULL_RETRIES = 100;
const PIPE_FULL_WAIT_MS = 10;

/** `data` to `fd`, synchronously, however many writes it takes; a full pipe is waited for, a second at most. */
function writeAllSync(fd: number, data: Buffer): void {
  let rest = data;
  let retries = 0;
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > PIPE_FULL_RETRIES) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, PIPE_FULL_WAIT_MS);
    }
  }
}

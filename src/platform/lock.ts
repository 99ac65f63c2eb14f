// PGlite corrupts a data directory opened by two processes at once, so the server holds an exclusive lock
// on it for as long as it runs. The lock is a directory beside the data (`<dir>.lock`), refreshed while
// held and considered stale after a crash (no refresh for 10 s).
import { mkdirSync } from 'node:fs';
import lockfile from 'proper-lockfile';

export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  mkdirSync(dataDir, { recursive: true });
  try {
    return await lockfile.lock(dataDir, { stale: 10_000, update: 2_000, realpath: false });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new Error(`The data directory ${dataDir} is in use by another process (PGlite allows one). ` +
        'Stop the other server, or start this one with another DATA_DIR or with DATABASE_URL.');
    }
    throw error;
  }
}

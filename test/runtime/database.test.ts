// The embedded database's exclusive lock: PGlite corrupts a data directory opened by two processes.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../src/platform/database.js';

describe.skipIf(Boolean(process.env.DATABASE_URL))('PGlite data directory', () => {
  it('refuses a second opener with a clear message, and opens again once released', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'lock-test-')), 'data');
    cpSync(inject('pgliteTemplate'), dataDir, { recursive: true });
    try {
      const first = await openDatabase({ dataDir, poolMax: 1 });
      await expect(openDatabase({ dataDir, poolMax: 1 })).rejects.toThrow(
        /in use by another process.*DATA_DIR.*DATABASE_URL/,
      );
      await first.close();
      const again = await openDatabase({ dataDir, poolMax: 1 });
      expect((await again.knex.raw('select 1 as one')).rows[0].one).toBe(1);
      await again.close();
    } finally {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  });
});

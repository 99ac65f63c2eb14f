// Tests below HTTP: every area's service over a database of the test file's own, with one signed-up user.
import { afterAll, beforeAll } from 'vitest';
import { systemClock, type Clock } from '../../src/platform/clock.js';
import type { Principal } from '../../src/platform/principal.js';
import { createServices, type Services } from '../../src/services.js';
import { freshDatabase } from './database.js';
import { testConfig } from './server.js';

export interface ServicesUnderTest {
  db: Awaited<ReturnType<typeof freshDatabase>>;
  services: Services;
  /** Alice, signed up (alice@example.com). */
  alice: Principal;
}

/** Filled in before the file's tests run; the database is dropped after them. */
export function useServices(clock: Clock = systemClock): ServicesUnderTest {
  const handle = {} as ServicesUnderTest;
  beforeAll(async () => {
    handle.db = await freshDatabase();
    handle.services = createServices(handle.db.database, testConfig(handle.db.settings), clock);
    const signedUp = await handle.services.auth.signUp({
      name: 'Alice',
      email: 'alice@example.com',
      password: 'long enough',
    });
    handle.alice = (await handle.services.auth.authenticate({ scheme: 'bearerAuth', token: signedUp.token }))!;
  });
  afterAll(async () => {
    await handle.db?.drop();
  });
  return handle;
}

// Health: liveness and readiness.
import { describe, expect, it } from 'vitest';
import * as sdk from '@platform/client';
import { getHealth, getReadiness } from '@platform/client';
import { startTestServer, useTestServer, watchClient } from '../../helpers/server.js';

useTestServer();

describe('health', () => {
  it('answers liveness and readiness (200), and rejects unknown parameters (400)', async () => {
    expect((await getHealth()).data).toEqual({ status: 'ok' });
    expect((await getReadiness()).data).toMatchObject({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok', eventBus: 'ok', shutdown: 'ok' },
    });
    expect((await getHealth({ query: { deep: 1 } as never })).response?.status).toBe(400);
    expect((await getReadiness({ query: { deep: 1 } as never })).response?.status).toBe(400);
  });

  it('reports not ready (503) when the database is gone, while liveness stays 200', async () => {
    const doomed = await startTestServer();
    const c = sdk.createPlatformClient({ baseUrl: doomed.baseUrl });
    watchClient(c);
    await doomed.platform.database.knex.destroy();
    try {
      const { error, response } = await getReadiness({ client: c });
      expect(response?.status).toBe(503);
      expect(error).toMatchObject({ status: 'unavailable', checks: { database: 'failing', migrations: 'failing' } });
      expect((await getHealth({ client: c })).response?.status).toBe(200);
    } finally {
      await doomed.stop().catch(() => undefined);
    }
  });
});

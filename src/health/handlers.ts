import type { HandlersOf } from '../http/context.js';
import type { Database } from '../platform/database.js';

export const healthHandlers = (database: Database) =>
  ({
    /** Liveness: the process answers; the database is not touched. */
    getHealth: async () => ({ status: 200, body: { status: 'ok' } }),

    /** Readiness: the database answers a query within 2 s. */
    getReadiness: async () => {
      const ok = await Promise.race([
        database.knex.raw('select 1').then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false).unref()),
      ]);
      return ok
        ? { status: 200, body: { status: 'ready', checks: { database: 'ok' } } }
        : { status: 503, body: { status: 'unavailable', checks: { database: 'failing' } } };
    },
  }) satisfies HandlersOf<'health'>;

import type { HandlersOf } from '../http/context.js';
import type { Readiness } from './readiness.js';

export const healthHandlers = (readiness: Readiness) =>
  ({
    /** Liveness: the process answers; no dependency is touched. */
    getHealth: async () => ({ status: 200, body: { status: 'ok' } }),

    /** Readiness: every check (src/health/readiness.ts) ok within its timeout, or 503 naming those that are not. */
    getReadiness: async () => {
      const body = await readiness.check();
      return body.status === 'ready' ? { status: 200, body } : { status: 503, body };
    },
  }) satisfies HandlersOf<'health'>;

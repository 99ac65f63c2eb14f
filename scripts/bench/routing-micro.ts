// Child process: the CPU cost of routing one request, in-process, with no network or database. For the 10-
// operation subset and the full contract, with openapi-backend's stock router and with installRouter, it
// times api.router.matchOperation (a fresh request object each call, so nothing is cached across calls) and
// the whole api.handleRequest with the trivial handler.
import { report, runChild } from './common.js';
import { LATE_PATH, ROUTED_PATH, routingBackend, type OperationSet, type RouterKind } from './routing.js';

/** Mean microseconds per call of fn, over as many calls as fit in budgetMs (after a warm-up). */
async function timePerCall(fn: () => unknown, budgetMs = 400): Promise<number> {
  const warmUntil = performance.now() + budgetMs / 4;
  while (performance.now() < warmUntil) for (let i = 0; i < 20; i++) await fn();
  let calls = 0;
  const started = performance.now();
  let now = started;
  while (now - started < budgetMs) {
    for (let i = 0; i < 20; i++) await fn();
    calls += 20;
    now = performance.now();
  }
  return ((now - started) * 1000) / calls;
}

const request = (path: string) => ({
  method: 'GET',
  path,
  headers: { host: '127.0.0.1', accept: 'application/json' },
  query: {},
});

runChild(async () => {
  const results: Array<Record<string, unknown>> = [];
  for (const set of ['10', 'full'] as OperationSet[]) {
    for (const router of ['stock', 'ours'] as RouterKind[]) {
      const { api, operations, initMs } = await routingBackend(set, router);
      const paths = set === 'full' ? [ROUTED_PATH, LATE_PATH] : [ROUTED_PATH];
      for (const path of paths) {
        const matchUs = await timePerCall(() => api.router.matchOperation(request(path) as never, true));
        const handleUs = await timePerCall(() => api.handleRequest(request(path), { body: undefined }));
        results.push({
          set,
          router,
          operations,
          path: path === ROUTED_PATH ? 'GET /api/spaces/{id}' : 'GET /api/v1/rooms/{room_id}/runs/{run_id}/tool-events',
          initMs,
          matchUs,
          handleUs,
        });
      }
    }
  }
  report({ type: 'micro', results });
});

// Child process: a trivial handler behind openapi-backend (BENCH_ROUTING=ours-10 | ours-full | stock-10 |
// stock-full), or on plain Koa with no router at all (BENCH_ROUTING=koa), served like the platform: Koa,
// then api.handleRequest with the request shape app.ts passes.
import Koa from 'koa';
import { report, runChild, serve } from './common.js';
import { routingBackend, type OperationSet, type RouterKind } from './routing.js';

runChild(async () => {
  const mode = process.env.BENCH_ROUTING ?? 'ours-full';
  const app = new Koa();
  app.silent = true; // clients dropping connections at the end of a run are not news
  let initMs = 0;
  let operations = 0;
  if (mode === 'koa') {
    app.use((koa) => {
      koa.body = { ok: true };
    });
  } else {
    const [router, set] = mode.split('-') as [RouterKind, OperationSet];
    const backend = await routingBackend(set, router);
    initMs = backend.initMs;
    operations = backend.operations;
    app.use(async (koa) => {
      await backend.api.handleRequest(
        {
          method: koa.method,
          path: koa.path,
          headers: koa.headers as Record<string, string>,
          query: koa.query as Record<string, string>,
        },
        koa,
      );
    });
  }
  report({ type: 'ready', port: await serve(app.callback()), initMs: Math.round(initMs), operations });
});

// Child process for the stream fan-out row: one instance of the platform, as `npm start` runs it (buildApp +
// node:http, production settings), over the bench's database; several run side by side on one PostgreSQL.
// Besides `stats` (CPU, requests) it answers `memory`: its memory after a full GC (it runs with
// --expose-gc) and how many live room streams it serves.
import { benchConfig, report, runChild, serve, targetFromEnv, type Message } from './common.js';

runChild(async () => {
  const { buildApp } = await import('../../src/app.js');
  const platform = await buildApp(benchConfig(targetFromEnv()), { jobs: false });
  process.on('message', (raw) => {
    if ((raw as Message).type !== 'memory') return;
    for (let i = 0; i < 3; i++) (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    report({
      type: 'memory:reply',
      rss,
      heapUsed,
      external,
      arrayBuffers,
      followers: platform.services.rooms.streams.feeds.followers(),
    });
  });
  const port = await serve(platform.callback, () => platform.close());
  report({ type: 'ready', port });
});

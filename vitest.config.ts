import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The client package's `source` export points at its TypeScript sources, so tests need no build step.
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    typecheck: { enabled: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    reporters: ['default'],
    // Servers a test starts as child processes (they inherit this) serve their metrics on a port the system
    // chooses, so files running in parallel never collide on the default metrics port (9464).
    env: { METRICS_PORT: '0' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Transformed modules kept on disk (node_modules/.experimental-vitest-cache, keyed by each file's content and
    // the config) and reused by the next run: one test file starts ~2 s sooner. No plugin here reads other files,
    // which is what could make the cache stale; `npx vitest --clearCache` empties it.
    experimental: { fsModuleCache: true },
  },
});

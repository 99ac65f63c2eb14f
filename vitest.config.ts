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
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['memoflow-source'] },
  ssr: { resolve: { conditions: ['memoflow-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Where bugs are reported, from package.json as the build takes it (src/errors/bugs-url.ts).
const { bugs } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  bugs: { url: string };
};
const define = { __HOARD_BUGS_URL__: JSON.stringify(bugs.url) };

/**
 * Three projects, run one after the other in this order (`vitest run --project NAME`, or the npm scripts):
 * - unit: src/, in parallel, short timeouts. `npm run test:unit` is the inner loop.
 * - nix: parsing and evaluating the Nix files (skipped with the reason where Nix or the trees are absent,
 *   except under CI=true).
 * - e2e: the built CLI on real cargo, make and compiler runs, one file at a time (2 cores keep them
 *   honest), and the tests that start servers or read dist/ (test/*.test.ts, test/faults/).
 * Every run's temporary directories are under one TMPDIR removed at its end (test/scratch-root.ts). In
 * the unit and nix projects each test file also gets a TMPDIR of its own, removed after it
 * (test/scratch-tmpdir.ts); the e2e harness removes its sandboxes itself, and keeps their paths short
 * (the dashboard test reads them on an 100-column screen).
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    globalSetup: ['test/scratch-root.ts'],
    // Unit files wait on their own small file operations and child processes as much as on the CPU: more
    // workers than cores finish sooner (the e2e and nix projects run one file at a time regardless).
    maxWorkers: '150%',
    projects: [
      {
        define,
        test: {
          name: 'unit',
          include: ['src/**/*.test.{ts,tsx}'],
          setupFiles: ['test/scratch-tmpdir.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        define,
        test: {
          name: 'e2e',
          include: ['test/*.test.ts', 'test/e2e/**/*.test.ts', 'test/faults/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 240_000,
        },
      },
      {
        define,
        test: {
          name: 'nix',
          include: ['test/nix/**/*.test.ts'],
          setupFiles: ['test/scratch-tmpdir.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});

/**
 * The ```ts blocks of a Markdown file, run as programs: each in a fresh Node process, in a scratch
 * project whose node_modules links the workspace packages (their source, through the
 * memoflow-source condition) as an install would place them, so a block runs exactly as written.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { scratchProject, tsxLoader } from '../../packages/core/test/support/processes.ts';
import { describeWithRedis, TEST_REDIS_URL } from '../../packages/test-utils/src/redis.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const packages = fileURLToPath(new URL('../../packages/', import.meta.url));

/** What a block's project finds in node_modules: the workspace packages and the stores their READMEs use. */
const installed: Record<string, string> = {
  '@memoflow/core': join(packages, 'core'),
  '@memoflow/cli': join(packages, 'cli'),
  '@memoflow/redis': join(packages, 'redis'),
  '@memoflow/bullmq': join(packages, 'bullmq'),
  '@memoflow/keyv': join(packages, 'keyv'),
  '@memoflow/conformance': join(packages, 'conformance'),
  keyv: realpathSync(join(packages, 'keyv/node_modules/keyv')),
  '@keyv/redis': realpathSync(join(packages, 'keyv/node_modules/@keyv/redis')),
  vitest: realpathSync(dirname(require.resolve('vitest/package.json'))),
};

/** The `memoflow` binary the CLI package's `bin` names. */
const memoflowBin = join(packages, 'cli/bin/memoflow.js');

/** The `vitest` binary, and the config that makes it load the workspace packages from source. */
const vitestBin = join(installed.vitest!, 'vitest.mjs');
const vitestConfig = `export default { resolve: { conditions: ['memoflow-source'] }, ssr: { resolve: { conditions: ['memoflow-source'] } } };\n`;

/**
 * The environment a block runs in: this one without memoflow's settings, colour switches or CI
 * variables a block reads (a pull request's `GITHUB_EVENT_NAME` makes a cache read-only), plus `extra`.
 */
function blockEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('MEMOFLOW_') || ['NO_COLOR', 'FORCE_COLOR', 'GITHUB_EVENT_NAME'].includes(name))
      delete env[name];
  }
  return { ...env, ...extra };
}

/** What one block must do. */
export interface BlockCheck {
  /** Its whole stdout. */
  prints: RegExp;
  /**
   * The block is a pipeline module: run `memoflow <args>` once per list, with the block's file in
   * place of `MODULE`, instead of running the block itself; `prints` sees the runs' stdout in turn.
   */
  memoflow?: string[][];
  /**
   * The block is a vitest test file: it is saved as `block-<n>.test.ts` and run with
   * `vitest run`; `prints` sees vitest's stdout.
   * @default false
   */
  vitest?: boolean;
}

export interface ReadmeBlocksOptions {
  /**
   * Redis key patterns (SCAN MATCH) the blocks that use `REDIS_URL` write under, removed once they
   * ran, whether they passed or not.
   */
  redisKeys?: string[];
  /**
   * Files copied into the block's project before any block runs, by their path there: the
   * modules of an example that its README's blocks import (`import … from './map-cache.ts'`).
   * @default {}
   */
  files?: Record<string, URL>;
}

/**
 * What vitest prints when one test file ran and none of its tests failed: ten or more passed, and
 * any others were skipped (the conformance suite skips the tests of an optional part, such as run
 * history, that a backend does not have).
 */
export const ALL_TESTS_PASSED =
  /Test Files {2}1 passed \(1\)\n\s+Tests {2}\d{2,} passed(?: \| \d+ skipped)? \(\d+\)\n/;

/** The ```ts blocks of a Markdown file, in order. */
export function tsBlocks(markdown: URL): string[] {
  return [...readFileSync(markdown, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** Removes the keys of a Redis that match `pattern`, with redis-cli (there wherever a Redis test runs). */
function removeKeys(url: string, pattern: string): void {
  const keys = execFileSync('redis-cli', ['-u', url, '--scan', '--pattern', pattern], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (keys.length > 0) execFileSync('redis-cli', ['-u', url, 'unlink', ...keys]);
}

/**
 * One test per ```ts block of `markdown`, in a describe named `title`, each checked against the
 * check at its position; plus a test that the file has as many blocks as there are checks. A block
 * that reads `REDIS_URL` runs against the tests' Redis (skipped outside CI when none answers).
 */
export function describeReadmeBlocks(
  title: string,
  markdown: URL,
  checks: readonly (RegExp | BlockCheck)[],
  options: ReadmeBlocksOptions = {},
): void {
  const blocks = tsBlocks(markdown);
  describe(title, () => {
    const project = scratchProject({});
    for (const [name, target] of Object.entries(installed)) {
      const link = join(project.dir, 'node_modules', name);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(target, link, 'dir');
    }
    for (const [path, source] of Object.entries(options.files ?? {}))
      copyFileSync(source, join(project.dir, path));
    project.write('vitest.config.mjs', vitestConfig);
    afterAll(() => project.dispose());
    const env = blockEnv({ MEMOFLOW_CACHE_DIR: join(project.dir, '.memoflow'), REDIS_URL: TEST_REDIS_URL });
    // vitest colours its report when it runs under vitest, whatever the terminal.
    const testEnv = { ...env, NO_COLOR: '1' };

    test('has the code blocks this test knows', () => {
      expect(blocks).toHaveLength(checks.length);
    });

    blocks.forEach((block, i) => {
      // A block past the last check matches nothing, so it fails beside the count above.
      const given = checks[i] ?? /(?!)/;
      const check: BlockCheck = given instanceof RegExp ? { prints: given } : given;
      const body = () =>
        test(`code block ${i + 1} runs and prints what it says`, async () => {
          const file = check.vitest ? `block-${i + 1}.test.ts` : `block-${i + 1}.ts`;
          project.write(file, block);
          let stdout = '';
          for (const argv of commandLines(check, file))
            stdout += (
              await run(process.execPath, argv, { cwd: project.dir, env: check.vitest ? testEnv : env })
            ).stdout;
          expect(stdout).toMatch(check.prints);
        });
      if (block.includes('REDIS_URL')) {
        describeWithRedis(`code block ${i + 1}, on Redis`, () => {
          body();
          afterAll(() => {
            for (const pattern of options.redisKeys ?? []) removeKeys(TEST_REDIS_URL, pattern);
          });
        });
      } else body();
    });
  });
}

/** The Node arguments of the processes that run a block saved as `file`, in order. */
function commandLines(check: BlockCheck, file: string): string[][] {
  if (check.vitest) return [[vitestBin, 'run', file]];
  if (!check.memoflow) return [['--conditions=memoflow-source', '--import', tsxLoader, file]];
  return check.memoflow.map((args) => [memoflowBin, ...args.map((arg) => (arg === 'MODULE' ? file : arg))]);
}

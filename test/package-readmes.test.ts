/**
 * Every ```ts block of each package README is a program: each runs in a fresh process, with the
 * workspace packages installed from source, and prints what its comments say (the conformance
 * suite's is a test file: vitest runs it). Blocks on Redis use the tests' Redis under a prefix of
 * their own, removed afterwards.
 */
import { ALL_TESTS_PASSED, describeReadmeBlocks } from './support/readme-blocks.ts';

const readme = (name: string) => new URL(`../packages/${name}/README.md`, import.meta.url);

describeReadmeBlocks('packages/core/README.md', readme('core'), [
  /^6\n6\n\[ '<self>', 'words' \]\n$/,
  /^20 miss miss miss\n3 nodes: 3 hit — .+\n$/,
  /^1 1\nscaled miss → miss inputs \[ 'input `factor`' \]\n$/,
  /^doubled: 4 6 4 6\n\[ 2, 3, 6, 7 \]\n$/,
]);

describeReadmeBlocks('packages/redis/README.md', readme('redis'), [/^16 16\n1\n$/], {
  redisKeys: ['example-redis:*'],
});

describeReadmeBlocks(
  'packages/bullmq/README.md',
  readme('bullmq'),
  [/^14 squares: miss, total: miss\nhit, hit\n$/],
  { redisKeys: ['example-bullmq:*', 'bull:example-bullmq:*'] },
);

describeReadmeBlocks('packages/keyv/README.md', readme('keyv'), [/^16 16\n1\n$/], {
  redisKeys: ['example-keyv:*'],
});

describeReadmeBlocks('packages/conformance/README.md', readme('conformance'), [
  { vitest: true, prints: ALL_TESTS_PASSED },
]);

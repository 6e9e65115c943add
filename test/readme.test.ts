/**
 * Every ```ts block of the README is a program: each runs in a fresh process against the
 * workspace source and prints what its comments say; the pipeline module of "Use it" runs through
 * the `memoflow` binary as the README shows. The distributed-run block uses the tests' Redis under
 * the prefix `readme:` and the queue `readme`, both removed afterwards.
 */
import { describeReadmeBlocks } from './support/readme-blocks.ts';

const runPipeline = ['run', 'MODULE', '--input', 'count=1000'];

describeReadmeBlocks(
  'README.md',
  new URL('../README.md', import.meta.url),
  [
    /^6\n6\n\[ '<self>', 'words' \]\n$/,
    {
      memoflow: [runPipeline, runPipeline],
      // Each run's report, then the outputs that `memoflow run` prints after it (left optional).
      prints: new RegExp(
        [
          '^node +status +reason +time +written\nrows +✗ miss +new .+\ntotal +✗ miss +new .+\n\n2 nodes: 2 miss — .+\n',
          '(\nOutputs\n  total: 332833500\n)?',
          'node +status +time +read\nrows +✓ hit .+\ntotal +✓ hit .+\n\n2 nodes: 2 hit — .+\n',
          '(\nOutputs\n  total: 332833500\n)?$',
        ].join(''),
      ),
    },
    /^20 30\n$/,
    /^UNHASHABLE_INPUT\n3\n$/,
    /^6\n$/,
    /^11\nrows: miss, clean: miss, scores: miss\n$/,
    /^3 \[ 'square' \]\ntrue\n2 \{ entries: 2, bytes: 40 \}\n3\n$/,
    /^30 rows: miss, squares: miss, total: miss\nhit, hit, hit\n$/,
  ],
  { redisKeys: ['readme:*', 'bull:readme:*'] },
);

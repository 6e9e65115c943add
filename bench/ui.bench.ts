/**
 * `memoflow ui`'s first paint: a 1,000-node pipeline (20 layers of 50, each node taking two of
 * the layer before) run 100 times into a DiskCache, so its history holds 100 runs; the page
 * loaded in Debian's Chromium, each load in a fresh browser context, from navigation start to the
 * page's `memoflow:graph-drawn` mark (the graph's SVG in the DOM, every node coloured by the last
 * run). Median of the loads, against the goal of 1 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCache, func, Pipeline, type PipelineEntry, Runner } from '../packages/core/src/index.ts';
import { startUi } from '../packages/ui/src/index.ts';
import { GRAPH_DRAWN_MARK } from '../packages/ui/src/types.ts';
import { hasChromium, launchBrowser } from '../packages/ui/test/support/browser.ts';
import { buildPage } from '../packages/ui/test/support/page-build.ts';
import { median } from './_harness.ts';

const LAYERS = 20;
const WIDTH = 50;
const RUNS = 100;
const LOADS = 9;
const GOAL_MS = 1000;

/** Layer 0 takes the input `seed`; node i of a later layer takes two nodes of the layer before. */
function layeredPipeline(): Pipeline {
  const nodes: PipelineEntry[] = [];
  for (let layer = 0; layer < LAYERS; layer++) {
    for (let i = 0; i < WIDTH; i++) {
      const name = `l${layer}n${i}`;
      if (layer === 0) {
        nodes.push(func({ output: name, inputs: ['seed'] }, (seed: number) => seed + 1));
        continue;
      }
      const a = `l${layer - 1}n${(i * 7) % WIDTH}`;
      const b = `l${layer - 1}n${(i * 13 + 3) % WIDTH}`;
      nodes.push(func({ output: name, inputs: [a, b] }, (x: number, y: number) => x + y));
    }
  }
  return new Pipeline(nodes);
}

if (!hasChromium) {
  console.log('\n### memoflow ui first paint: skipped, no Chromium (apt-get install chromium)\n');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-ui-bench-'));
  const page = await buildPage();
  const backend = new DiskCache({ dir: join(dir, 'cache') });
  try {
    const pipeline = layeredPipeline();
    const runner = new Runner({ cache: { backend } });
    // Every tenth run changes the seed: the history holds misses as well as hits.
    for (let run = 0; run < RUNS; run++) await runner.run(pipeline, { seed: Math.floor(run / 10) });
    const recorded = (await backend.runs?.listRuns())?.length ?? 0;

    const layoutStarted = performance.now();
    const ui = await startUi({ pipeline, backend, label: 'layered 1,000 nodes', assets: page.dir });
    const startMs = performance.now() - layoutStarted;
    const browser = await launchBrowser();
    const paints: number[] = [];
    try {
      for (let load = 0; load < LOADS; load++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
        const tab = await context.newPage();
        await tab.goto(ui.url);
        await tab.waitForSelector('body[data-graph="drawn"]');
        const nodes = await tab.locator('[data-node]').count();
        if (nodes !== LAYERS * WIDTH) throw new Error(`the page drew ${nodes} nodes, not ${LAYERS * WIDTH}`);
        paints.push(
          await tab.evaluate((mark) => performance.getEntriesByName(mark)[0]!.startTime, GRAPH_DRAWN_MARK),
        );
        await context.close();
      }
    } finally {
      await browser.close();
      await ui.close();
    }
    const paint = median(paints);
    console.log(`\n### memoflow ui first paint, ${LAYERS * WIDTH} nodes, ${recorded} runs of history\n`);
    console.log('| measure | median | range | goal |');
    console.log('|---|---:|---:|---|');
    console.log(
      `| first paint (navigation start → graph drawn, ${LOADS} loads) | ${paint.toFixed(0)} ms | ${Math.min(...paints).toFixed(0)}–${Math.max(...paints).toFixed(0)} ms | ≤ ${GOAL_MS} ms ${paint <= GOAL_MS ? '✓' : '✗'} |`,
    );
    console.log(`| server start (layout of the graph, once) | ${startMs.toFixed(0)} ms | | |`);
  } finally {
    await backend.close();
    page.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

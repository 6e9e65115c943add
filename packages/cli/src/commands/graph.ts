/**
 * `memoflow graph`: a pipeline's graph as Mermaid, DOT, or SVG through Graphviz; with `--status`,
 * coloured by the last run recorded in the cache's history, and with `--summary`, appended to
 * the GitHub Actions job summary.
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.ts';
import { configFrom, PIPELINE_MODULE, withBackendOptions } from '../options.ts';
import type { NodeState } from '../status-graph.ts';

interface GraphFlags extends Record<string, unknown> {
  format: 'mermaid' | 'dot' | 'svg';
  status?: boolean;
  summary?: boolean;
}

export function registerGraph(program: Command): void {
  withBackendOptions(program.command('graph'))
    .description("print a pipeline's graph")
    .argument('<pipeline-module>', PIPELINE_MODULE)
    .addOption(
      new Option('--format <format>', 'mermaid, dot, or svg (needs Graphviz)')
        .choices(['mermaid', 'dot', 'svg'])
        .default('mermaid'),
    )
    .option('--status', "colour each node by its state in the cache's last recorded run")
    .option('--summary', 'also append the graph (Mermaid) to $GITHUB_STEP_SUMMARY when it is set')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow graph pipeline.ts\n  $ memoflow graph pipeline.ts --format svg > graph.svg\n  $ memoflow graph pipeline.ts --status --summary\n',
    )
    .action(async (module: string, flags: GraphFlags) => {
      const [{ loadPipeline }, { statusMermaid, statusDot, graphSummary }, { formatBytes }] =
        await Promise.all([
          import('../load.ts'),
          import('../status-graph.ts'),
          import('@memoflow/core/backend-kit'),
        ]);
      const pipeline = await loadPipeline(module);
      const states = flags.status ? await lastRunStates(flags) : [];
      const mermaid = statusMermaid(pipeline, states);
      if (flags.summary && process.env.GITHUB_STEP_SUMMARY)
        appendFileSync(process.env.GITHUB_STEP_SUMMARY, graphSummary(mermaid, `Pipeline ${module}`));
      if (flags.format === 'mermaid') return void process.stdout.write(mermaid);
      const dot = statusDot(pipeline, states, formatBytes);
      if (flags.format === 'dot') return void process.stdout.write(dot);
      process.stdout.write(toSvg(dot));
    });
}

/** The nodes of the newest run in the configured cache's history; none (said on stderr) without one. */
async function lastRunStates(flags: GraphFlags): Promise<NodeState[]> {
  const { values: config } = await configFrom(flags);
  const [{ openBackend }, { historyOf }] = await Promise.all([
    import('../open-backend.ts'),
    import('@memoflow/core'),
  ]);
  const backend = await openBackend(config);
  try {
    const history = historyOf(backend);
    const [newest] = history ? await history.listRuns({ limit: 1 }) : [];
    const record = newest && (await history!.getRun(newest.id));
    if (!record) {
      process.stderr.write(
        `memoflow: ${history ? 'no run is recorded in this cache yet' : `the ${backend.name} cache keeps no run history`}: the graph is drawn without states\n`,
      );
      return [];
    }
    return record.report.nodes;
  } finally {
    await backend.close();
  }
}

function toSvg(dot: string): string {
  const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UsageError(
      'svg needs the `dot` program of Graphviz, which is not installed: install the graphviz package (apt install graphviz, brew install graphviz), or use --format dot',
    );
  }
  if (result.status !== 0) throw new Error(`dot failed: ${result.stderr.trim() || result.error?.message}`);
  return result.stdout;
}

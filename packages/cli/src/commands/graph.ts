/** `memoflow graph`: a pipeline's graph as Mermaid, DOT, or SVG through Graphviz. */
import { spawnSync } from 'node:child_process';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.ts';
import { PIPELINE_MODULE } from '../options.ts';

export function registerGraph(program: Command): void {
  program
    .command('graph')
    .description("print a pipeline's graph")
    .argument('<pipeline-module>', PIPELINE_MODULE)
    .addOption(
      new Option('--format <format>', 'mermaid, dot, or svg (needs Graphviz)')
        .choices(['mermaid', 'dot', 'svg'])
        .default('mermaid'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow graph pipeline.ts\n  $ memoflow graph pipeline.ts --format svg > graph.svg\n',
    )
    .action(async (module: string, options: { format: 'mermaid' | 'dot' | 'svg' }) => {
      const { loadPipeline } = await import('../load.ts');
      const pipeline = await loadPipeline(module);
      if (options.format === 'mermaid') return void process.stdout.write(`${pipeline.toMermaid()}\n`);
      if (options.format === 'dot') return void process.stdout.write(`${pipeline.toDot()}\n`);
      const dot = spawnSync('dot', ['-Tsvg'], { input: pipeline.toDot(), encoding: 'utf8' });
      if (dot.error && (dot.error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UsageError(
          'svg needs the `dot` program of Graphviz, which is not installed: install the graphviz package (apt install graphviz, brew install graphviz), or use --format dot',
        );
      }
      if (dot.status !== 0) throw new Error(`dot failed: ${dot.stderr.trim() || dot.error?.message}`);
      process.stdout.write(dot.stdout);
    });
}

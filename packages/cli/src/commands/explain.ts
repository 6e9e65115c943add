/** `memoflow explain`: what a run would do, node by node, and why, without running anything. */
import type { NodeExplanation } from '@memoflow/core';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { printJson, withBackendOptions, withRunOptions } from '../options.ts';
import type { PipelineFlags } from '../pipeline-command.ts';
import { colors, table } from '../terminal.ts';

interface ExplainFlags extends PipelineFlags {
  node?: string;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  withRunOptions(withBackendOptions(program.command('explain')))
    .description('say per node whether a run would hit or miss, and why (a dry run: nothing runs)')
    .option('--node <name>', 'only this node')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow explain pipeline.ts --input path=data.csv\n  $ memoflow explain pipeline.ts --input path=data.csv --node scores --json\n',
    )
    .action(async (module: string, flags: ExplainFlags) => {
      const [{ withPipeline }, { formatBytes }] = await Promise.all([
        import('../pipeline-command.ts'),
        import('@memoflow/core/backend-kit'),
      ]);
      await withPipeline(module, flags, async ({ runner, pipeline, inputs, outputs }) => {
        const report = await runner.explain(pipeline, inputs, outputs);
        let nodes = report.nodes;
        if (flags.node !== undefined) {
          nodes = nodes.filter((node) => node.node === flags.node);
          if (nodes.length === 0) {
            const names = report.nodes.map((node) => node.node).join(', ');
            throw new UsageError(
              `no node ${JSON.stringify(flags.node)} in ${module}: its nodes are ${names}`,
            );
          }
        }
        if (flags.json) return printJson({ ...report, nodes });
        process.stdout.write(
          `${table(
            ['node', 'would', 'why'],
            nodes.map((node) => row(node, formatBytes)),
          )}\n`,
        );
        for (const node of nodes) {
          for (const warning of node.unseen ?? [])
            process.stdout.write(`${node.node}: not hashed: ${warning}\n`);
          if (node.cut)
            process.stdout.write(`${node.node}: dependencyDepth left out ${node.cut.join(', ')}\n`);
        }
      });
    });
}

/** A node's line; sizes through the kit's `formatBytes`, loaded with the pipeline (`--help` loads no core). */
function row(node: NodeExplanation, formatBytes: (bytes: number) => string): string[] {
  const status =
    node.status === 'hit'
      ? colors.green('✓ hit')
      : node.status === 'miss'
        ? colors.yellow('✗ miss')
        : node.status === 'unknown'
          ? colors.dim('? depends')
          : colors.dim('– no cache');
  return [node.node, status, why(node, formatBytes)];
}

function why(node: NodeExplanation, formatBytes: (bytes: number) => string): string {
  if (node.items) return `${node.items.hits} of ${node.items.total} items hit`;
  if (node.status === 'hit') return node.bytes === undefined ? '' : formatBytes(node.bytes);
  if (node.status === 'unknown')
    return `on what ${node.pendingUpstream?.join(', ') ?? 'upstream'} will compute`;
  const changed = node.changed?.length ? `: ${node.changed.join(', ')}` : '';
  return `${node.reason ?? ''}${changed}`;
}

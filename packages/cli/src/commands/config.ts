/** `memoflow config`: the effective configuration, and where each value came from. */
import type { Command } from 'commander';
import { configFrom, printJson, wholeNumber, withBackendOptions } from '../options.ts';
import { colors, table } from '../terminal.ts';

export function registerConfig(program: Command): void {
  withBackendOptions(program.command('config'))
    .description('print the effective configuration and where each value came from')
    .option(
      '--concurrency <n>',
      'nodes computed at once (default: the number of CPUs)',
      wholeNumber('concurrency'),
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nSources, last wins: defaults; memoflow.config.{ts,js,json} or "memoflow" in package.json;\nMEMOFLOW_* variables; flags.\n\nExample:\n  $ MEMOFLOW_CONCURRENCY=8 memoflow config\n',
    )
    .action(async (options) => {
      const { values, sources } = await configFrom(options, { concurrency: options.concurrency });
      if (options.json) return printJson({ values, sources });
      const rows = Object.entries(values).map(([key, value]) => [
        key,
        value === undefined || (Array.isArray(value) && value.length === 0)
          ? colors.dim('(none)')
          : Array.isArray(value)
            ? value.join(', ')
            : String(value),
        colors.dim(sources[key as keyof typeof sources]),
      ]);
      process.stdout.write(`${table(['setting', 'value', 'from'], rows)}\n`);
    });
}

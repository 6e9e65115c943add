/**
 * `memoflow run`: runs a pipeline module and prints its run report, then the outputs it was asked
 * for; with `--json`, one document `{ outputs, report }` and nothing else on stdout.
 */
import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import { wholeNumber, withBackendOptions, withRunOptions } from '../options.ts';
import type { PipelineFlags } from '../pipeline-command.ts';

interface RunFlags extends PipelineFlags {
  json?: boolean;
  summary?: boolean;
}

export function registerRun(program: Command): void {
  withRunOptions(withBackendOptions(program.command('run')))
    .description('run a pipeline, print its report and the outputs asked for')
    .option(
      '--concurrency <n>',
      'nodes computed at once (default: the number of CPUs)',
      wholeNumber('concurrency'),
    )
    .option(
      '--json',
      'print one JSON document, { outputs, report }, with every output whole; what the pipeline prints goes to stderr',
    )
    .option('--summary', 'append the Markdown report to $GITHUB_STEP_SUMMARY when it is set')
    .option('--no-history', "record nothing in the cache's history of runs (memoflow runs)")
    .option(
      '--queue <name>',
      'compute the misses on the workers of this BullMQ queue (memoflow worker); needs --redis and @memoflow/bullmq',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow run pipeline.ts --input path=data.csv --input threshold=0.5\n  $ memoflow run pipeline.ts --inputs inputs.json --output scores --json\n  $ memoflow run pipeline.ts --redis redis://cache:6379 --summary\n  $ memoflow run pipeline.ts --redis redis://cache:6379 --queue etl --json\n',
    )
    .action(async (module: string, flags: RunFlags) => {
      const [{ withPipeline }, { formatOutputs, runDocument }] = await Promise.all([
        import('../pipeline-command.ts'),
        import('../outputs.ts'),
      ]);
      const run = () =>
        withPipeline(module, flags, async ({ runner, pipeline, inputs, outputs: asked }) => {
          const { outputs, report } = await runner.run(pipeline, inputs, asked);
          if (flags.summary && process.env.GITHUB_STEP_SUMMARY)
            appendFileSync(process.env.GITHUB_STEP_SUMMARY, report.toMarkdown());
          return flags.json
            ? runDocument(outputs, report.toJSON())
            : `${report.toText()}\n\n${formatOutputs(outputs)}`;
        });
      const printed = flags.json ? await stdoutToStderr(run) : await run();
      process.stdout.write(printed);
    });
}

/**
 * Runs `work` with whatever is written to stdout meanwhile (a pipeline's `console.log`) sent to
 * stderr, so that `--json` leaves stdout to its one document.
 */
async function stdoutToStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

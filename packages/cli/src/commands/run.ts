/** `memoflow run`: runs a pipeline module and prints its run report. */
import { appendFileSync } from 'node:fs';
import type { Command } from 'commander';
import { printJson, wholeNumber, withBackendOptions, withRunOptions } from '../options.ts';
import { type PipelineFlags, withPipeline } from '../pipeline-command.ts';

interface RunFlags extends PipelineFlags {
  json?: boolean;
  summary?: boolean;
}

export function registerRun(program: Command): void {
  withRunOptions(withBackendOptions(program.command('run')))
    .description('run a pipeline and print its report')
    .option('--concurrency <n>', 'nodes run at once', wholeNumber('concurrency'))
    .option('--json', 'print the report as JSON')
    .option('--summary', 'append the Markdown report to $GITHUB_STEP_SUMMARY when it is set')
    .option(
      '--queue <name>',
      'compute the misses on the workers of this BullMQ queue (memoflow worker); needs --redis',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow run pipeline.ts --input path=data.csv --input threshold=0.5\n  $ memoflow run pipeline.ts --inputs inputs.json --output scores --json\n  $ memoflow run pipeline.ts --redis redis://cache:6379 --summary\n  $ memoflow run pipeline.ts --redis redis://cache:6379 --queue etl --json\n',
    )
    .action((module: string, flags: RunFlags) =>
      withPipeline(module, flags, async ({ runner, pipeline, inputs, outputs }) => {
        const { report } = await runner.run(pipeline, inputs, outputs);
        if (flags.json) printJson(report.toJSON());
        else process.stdout.write(`${report.toText()}\n`);
        if (flags.summary && process.env.GITHUB_STEP_SUMMARY)
          appendFileSync(process.env.GITHUB_STEP_SUMMARY, report.toMarkdown());
      }),
    );
}

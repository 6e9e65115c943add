/** `memoflow run`: runs a pipeline module and prints its run report. */
import { appendFileSync, readFileSync } from 'node:fs';
import { Runner } from '@memoflow/core';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { loadPipeline } from '../load.ts';
import { openBackend } from '../open-backend.ts';
import { configFrom, printJson, wholeNumber, withBackendOptions, withRunOptions } from '../options.ts';

interface RunFlags {
  input: string[];
  inputs?: string;
  output: string[];
  env?: string[];
  concurrency?: number;
  json?: boolean;
  summary?: boolean;
  cacheDir?: string;
  redis?: string;
  prefix?: string;
}

export function registerRun(program: Command): void {
  withRunOptions(withBackendOptions(program.command('run')))
    .description('run a pipeline and print its report')
    .option('--concurrency <n>', 'nodes run at once', wholeNumber('concurrency'))
    .option('--json', 'print the report as JSON')
    .option('--summary', 'append the Markdown report to $GITHUB_STEP_SUMMARY when it is set')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow run pipeline.ts --input path=data.csv --input threshold=0.5\n  $ memoflow run pipeline.ts --inputs inputs.json --output scores --json\n  $ memoflow run pipeline.ts --redis redis://cache:6379 --summary\n',
    )
    .action(async (module: string, flags: RunFlags) => {
      const { values: config } = await configFrom(
        { ...flags },
        { concurrency: flags.concurrency, env: flags.env },
      );
      const inputs = { ...readInputsFile(flags.inputs), ...parseInputs(flags.input) };
      const pipeline = await loadPipeline(module);
      const backend = await openBackend(config);
      const runner = new Runner({ concurrency: config.concurrency, cache: { backend, env: config.env } });
      try {
        const outputs = flags.output.length > 0 ? flags.output : undefined;
        const { report } = await runner.run(pipeline, inputs, outputs ? { outputs } : {});
        if (flags.json) printJson(report.toJSON());
        else process.stdout.write(`${report.toText()}\n`);
        if (flags.summary && process.env.GITHUB_STEP_SUMMARY)
          appendFileSync(process.env.GITHUB_STEP_SUMMARY, report.toMarkdown());
      } finally {
        await backend.close();
      }
    });
}

/** `name=value` pairs: the value is JSON when it parses, else the string itself. */
export function parseInputs(pairs: readonly string[]): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new UsageError(`--input ${JSON.stringify(pair)} is not name=value (e.g. --input threshold=0.5)`);
    const text = pair.slice(at + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {}
    inputs[pair.slice(0, at)] = value;
  }
  return inputs;
}

export function readInputsFile(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--inputs ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--inputs ${path} must hold a JSON object of input names to values`);
  }
  return parsed as Record<string, unknown>;
}

/** Options several commands share: where the cache is, and `--json`. */
import { type Command, Option } from 'commander';
import { type ConfigKey, type ResolvedConfig, resolveConfig } from './config.ts';
import { UsageError } from './errors.ts';

/** Adds `--cache-dir`, `--redis`, `--prefix` and `--read-only` to a command. */
export function withBackendOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--cache-dir <dir>', 'the DiskCache directory (default .memoflow, or $MEMOFLOW_CACHE_DIR)'),
    )
    .addOption(
      new Option(
        '--redis <url>',
        'use a RedisCache at this URL instead (redis:// or rediss://; needs @memoflow/redis)',
      ),
    )
    .addOption(new Option('--prefix <prefix>', 'key prefix on the Redis server (default memoflow:)'))
    .addOption(new Option('--read-only', 'read the Redis cache, never write it'));
}

/** The configuration, with this command's flags over the rest. */
export function configFrom(
  options: Record<string, unknown>,
  extra: Partial<Record<ConfigKey, unknown>> = {},
): Promise<ResolvedConfig> {
  return resolveConfig(process.cwd(), {
    dir: options.cacheDir,
    redis: options.redis,
    prefix: options.prefix,
    readOnly: options.readOnly,
    ...extra,
  });
}

/** A whole number option (`--concurrency 4`), or a usage error naming it. */
export function wholeNumber(name: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new UsageError(`--${name} ${JSON.stringify(text)} is not a whole number of at least 1`);
    return value;
  };
}

/** Prints a value as JSON (for `--json`). */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/** Collects a repeatable option. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** What the `<pipeline-module>` argument is. */
export const PIPELINE_MODULE =
  'an ES module (.ts, .mts, .js or .mjs) whose default (or `pipeline`) export is a Pipeline';

/** Adds `--input`, `--inputs` and `--output`: what a run (or a dry run) is asked for. */
export function withRunOptions(command: Command): Command {
  return command
    .argument('<pipeline-module>', PIPELINE_MODULE)
    .option(
      '--input <name=value>',
      'an input (repeatable); the value is JSON when it parses, else a string',
      collect,
      [],
    )
    .option('--inputs <file.json>', 'inputs from a JSON object (--input wins)')
    .option('--output <name>', 'an output to produce (repeatable; default: the final outputs)', collect, [])
    .option(
      '--env <name>',
      'an environment variable whose value counts in every signature (repeatable)',
      collect,
    );
}

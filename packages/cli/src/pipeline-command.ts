/**
 * What `run` and `explain` share: the configuration with their flags, the inputs (`--inputs`,
 * then `--input`), the pipeline module, and a Runner on the configured cache, closed afterwards
 * (with `run --queue`, a Runner whose misses go to that queue's workers) that records its runs in
 * the cache's history (`history` runs kept; none with `run --no-history`).
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { type Pipeline, Runner } from '@memoflow/core';
import type { Executor } from '@memoflow/core/executor';
import type { CliConfig, ConfigKey } from './config.ts';
import { UsageError } from './errors.ts';
import { loadPipelineExport } from './load.ts';
import { openBackend } from './open-backend.ts';
import { loadOptional } from './optional-packages.ts';
import { configFrom } from './options.ts';

/** The flags of `withRunOptions` and `withBackendOptions`, and `--concurrency` where given. */
export interface PipelineFlags {
  input: string[];
  inputs?: string;
  output: string[];
  env?: string[];
  concurrency?: number;
  cacheDir?: string;
  redis?: string;
  prefix?: string;
  readOnly?: boolean;
  /** `run --queue`: the BullMQ queue whose workers compute the misses. */
  queue?: string;
  /** `run --no-history` makes it false: record nothing in the cache's history. @default true */
  history?: boolean;
}

export interface PipelineCommand {
  runner: Runner;
  pipeline: Pipeline;
  inputs: Record<string, unknown>;
  /** `{ outputs }` when `--output` was given, else nothing (the final outputs). */
  outputs: { outputs?: string[] };
}

export async function withPipeline<T>(
  module: string,
  flags: PipelineFlags,
  work: (command: PipelineCommand) => Promise<T>,
): Promise<T> {
  const { values: config, sources } = await configFrom(
    { ...flags },
    { concurrency: flags.concurrency, env: flags.env },
  );
  if (flags.queue !== undefined) checkQueue(flags.queue, config, sources);
  // Both packages a queue needs, asked for at once: a missing one is said before the pipeline
  // module loads, and both are named when both are missing.
  const queuePackages =
    flags.queue === undefined
      ? undefined
      : await loadOptional('run --queue', ['@memoflow/redis', '@memoflow/bullmq']);
  const given = parseInputs(flags.input);
  const inputs = { ...readInputsFile(flags.inputs), ...given };
  const { pipeline, exportName } = await loadPipelineExport(module);
  checkInputNames(Object.keys(given), pipeline, module);
  const backend = await openBackend(config);
  let executor: (Executor & { close(): Promise<void> }) | undefined;
  try {
    if (queuePackages !== undefined) {
      const [, { BullMQExecutor }] = queuePackages;
      executor = new BullMQExecutor({ connection: { url: config.redis! }, queue: flags.queue! });
    }
    const runner = new Runner({
      concurrency: config.concurrency,
      executor,
      cache: { backend, env: config.env },
      // The label `memoflow runs` shows: the module as the project names it, and its export.
      history:
        config.history > 0 && flags.history !== false
          ? {
              keep: config.history,
              pipeline: `${relative(process.cwd(), resolve(module))}#${exportName}`,
              source: 'cli',
            }
          : false,
    });
    return await work({
      runner,
      pipeline,
      inputs,
      outputs: flags.output.length > 0 ? { outputs: flags.output } : {},
    });
  } finally {
    await executor?.close();
    await backend.close();
  }
}

/** Workers and the run meet in a Redis they share: the run's cache must be it, and writable. */
function checkQueue(queue: string, config: CliConfig, sources: Record<ConfigKey, string>): void {
  if (config.backend !== 'redis') {
    throw new UsageError(
      `--queue ${queue} needs --redis <url> (or MEMOFLOW_REDIS_URL): the workers compute into the run's cache, so it must be the Redis they share`,
    );
  }
  if (config.readOnly) {
    throw new UsageError(
      `--queue ${queue} has workers write the run's results to the cache, but readOnly is set (${sources.readOnly}): drop one of them`,
    );
  }
}

/** Every `--input` must name an input of the pipeline: a misspelt one would be silently ignored. */
function checkInputNames(names: readonly string[], pipeline: Pipeline, module: string): void {
  const inputs = pipeline.inputs.map((input) => `\`${input}\``).join(', ') || 'none';
  for (const name of names) {
    if (pipeline.inputs.includes(name)) continue;
    const output = pipeline.outputs.includes(name) ? ` (\`${name}\` is the output of a node)` : '';
    throw new UsageError(
      `--input ${name}=…: ${module} has no input \`${name}\`${output}: its inputs are ${inputs}`,
    );
  }
}

/** `name=value` pairs: the value is JSON when it parses, else the string itself. */
function parseInputs(pairs: readonly string[]): Record<string, unknown> {
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

function readInputsFile(path: string | undefined): Record<string, unknown> {
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

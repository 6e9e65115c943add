/**
 * The CLI's configuration, from one place and its overrides, in order of precedence (last wins):
 * defaults; `memoflow.config.{ts,js,json}` in the working directory, or the `memoflow` key of
 * its package.json; `MEMOFLOW_*` environment variables; flags. Every value remembers where it
 * came from, for `memoflow config`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './errors.ts';
import { importModule } from './import-module.ts';

export interface CliConfig {
  /** Where results are cached. @default 'disk' ('redis' when a Redis URL is given) */
  backend: 'disk' | 'redis';
  /** DiskCache's directory. @default '.memoflow' */
  dir: string;
  /** RedisCache's server URL. @default none */
  redis: string | undefined;
  /** Key prefix on the Redis server. @default 'memoflow:' */
  prefix: string;
  /** Nodes computed at once. @default os.availableParallelism(), as the Runner's */
  concurrency: number;
  /** Read the Redis cache, never write it (a pull request's CI job). @default false */
  readOnly: boolean;
  /** Environment variable names whose values count in every node's signature. @default [] */
  env: string[];
  /** Runs `memoflow run` keeps in the cache's history (`memoflow runs`); 0 records none. @default 100 */
  history: number;
}

export type ConfigKey = keyof CliConfig;

export interface ResolvedConfig {
  values: CliConfig;
  /** Where each value came from: `default`, a file, `MEMOFLOW_…`, or a flag. */
  sources: Record<ConfigKey, string>;
}

const DEFAULTS: CliConfig = {
  backend: 'disk',
  dir: '.memoflow',
  redis: undefined,
  prefix: 'memoflow:',
  // The Runner's own default (RunnerOptions.concurrency in @memoflow/core's runner.ts), which core
  // does not export: the CLI runs a pipeline as the library does when given no option.
  concurrency: availableParallelism(),
  readOnly: false,
  env: [],
  history: 100,
};

/** Where the configured backend keeps its data, for messages. */
export const whereOf = (config: CliConfig): string =>
  config.backend === 'redis' ? config.redis! : config.dir;

/** The environment variable of each setting. */
export const ENV_NAMES: Record<ConfigKey, string> = {
  backend: 'MEMOFLOW_BACKEND',
  dir: 'MEMOFLOW_CACHE_DIR',
  redis: 'MEMOFLOW_REDIS_URL',
  prefix: 'MEMOFLOW_REDIS_PREFIX',
  concurrency: 'MEMOFLOW_CONCURRENCY',
  readOnly: 'MEMOFLOW_READ_ONLY',
  env: 'MEMOFLOW_ENV',
  history: 'MEMOFLOW_HISTORY',
};

const FILES = ['memoflow.config.ts', 'memoflow.config.js', 'memoflow.config.json'];

/** Resolves the configuration for `cwd`; `flags` are the values given on the command line. */
export async function resolveConfig(
  cwd: string,
  flags: Partial<Record<ConfigKey, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const values: Record<string, unknown> = { ...DEFAULTS };
  const sources = Object.fromEntries(Object.keys(DEFAULTS).map((key) => [key, 'default'])) as Record<
    ConfigKey,
    string
  >;
  const set = (key: ConfigKey, value: unknown, source: string) => {
    values[key] = check(key, value, source);
    sources[key] = source;
  };
  const file = await readConfigFile(cwd);
  if (file) for (const [key, value] of Object.entries(file.values)) set(key as ConfigKey, value, file.source);
  for (const key of Object.keys(ENV_NAMES) as ConfigKey[]) {
    const text = env[ENV_NAMES[key]];
    if (text !== undefined && text !== '') set(key, fromText(key, text), ENV_NAMES[key]);
  }
  for (const [key, value] of Object.entries(flags)) {
    if (value !== undefined) set(key as ConfigKey, value, `flag --${FLAG_NAMES[key as ConfigKey]}`);
  }
  // A Redis URL given anywhere, with no backend chosen as explicitly, means the Redis backend.
  if (values.redis !== undefined && sources.backend === 'default') {
    values.backend = 'redis';
    sources.backend = `${sources.redis} (a Redis URL)`;
  }
  if (values.backend === 'redis' && values.redis === undefined) {
    throw new UsageError(
      `the backend is redis (${sources.backend}) but no Redis URL is set: pass --redis redis://host:6379 or set ${ENV_NAMES.redis}`,
    );
  }
  values.dir = resolve(cwd, values.dir as string);
  return { values: values as unknown as CliConfig, sources };
}

/** The flag of each setting. */
const FLAG_NAMES: Record<ConfigKey, string> = {
  backend: 'backend',
  dir: 'cache-dir',
  redis: 'redis',
  prefix: 'prefix',
  concurrency: 'concurrency',
  readOnly: 'read-only',
  env: 'env',
  history: 'no-history',
};

async function readConfigFile(
  cwd: string,
): Promise<{ values: Record<string, unknown>; source: string } | undefined> {
  for (const name of FILES) {
    const path = join(cwd, name);
    if (!existsSync(path)) continue;
    let loaded: unknown;
    try {
      loaded = name.endsWith('.json')
        ? JSON.parse(readFileSync(path, 'utf8'))
        : (await importModule(path)).default;
    } catch (error) {
      throw new UsageError(`cannot read ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { values: objectOf(loaded, name), source: name };
  }
  const packageJson = join(cwd, 'package.json');
  if (!existsSync(packageJson)) return undefined;
  let manifest: { memoflow?: unknown };
  try {
    manifest = JSON.parse(readFileSync(packageJson, 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.memoflow === undefined) return undefined;
  return {
    values: objectOf(manifest.memoflow, 'the "memoflow" key of package.json'),
    source: 'package.json "memoflow"',
  };
}

function objectOf(loaded: unknown, where: string): Record<string, unknown> {
  if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) {
    throw new UsageError(`${where} must be an object of settings (${Object.keys(DEFAULTS).join(', ')})`);
  }
  for (const key of Object.keys(loaded)) {
    if (!(key in DEFAULTS)) {
      throw new UsageError(
        `${where} has an unknown setting ${JSON.stringify(key)}: the settings are ${Object.keys(DEFAULTS).join(', ')}`,
      );
    }
  }
  return loaded as Record<string, unknown>;
}

/** A setting from the text of an environment variable. */
function fromText(key: ConfigKey, text: string): unknown {
  if (key === 'concurrency' || key === 'history') return Number(text);
  if (key === 'env')
    return text
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
  if (key === 'readOnly')
    return text === '1' || text.toLowerCase() === 'true'
      ? true
      : text === '0' || text.toLowerCase() === 'false'
        ? false
        : text;
  return text;
}

function check(key: ConfigKey, value: unknown, source: string): unknown {
  const fail = (expected: string): never => {
    throw new UsageError(`${key} ${JSON.stringify(value)} from ${source} is invalid: expected ${expected}`);
  };
  switch (key) {
    case 'backend':
      return value === 'disk' || value === 'redis' ? value : fail('"disk" or "redis"');
    case 'dir':
    case 'prefix':
      return typeof value === 'string' && value !== '' ? value : fail('a non-empty string');
    case 'redis':
      return typeof value === 'string' && /^rediss?:\/\//.test(value)
        ? value
        : fail('a redis:// or rediss:// URL');
    case 'concurrency':
      return Number.isInteger(value) && (value as number) >= 1 ? value : fail('a whole number of at least 1');
    case 'readOnly':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'history':
      return Number.isInteger(value) && (value as number) >= 0
        ? value
        : fail('how many runs to keep, a whole number (0 records none)');
    case 'env':
      return Array.isArray(value) && value.every((name) => typeof name === 'string' && name !== '')
        ? value
        : fail('a list of environment variable names');
  }
}

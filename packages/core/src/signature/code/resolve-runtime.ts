import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * How the running process resolves modules: the export conditions Node matches and, when the
 * program runs under tsx, the one tsconfig whose `paths` tsx applies. Read once per process:
 * none of it can change after start-up.
 */
export interface Runtime {
  /** Conditions for an `import`, in Node's order: `node`, `import`, then Node's own extras, then `--conditions`. */
  importConditions: string[];
  /** Conditions for a `require`. */
  requireConditions: string[];
  /** The tsconfig tsx reads its `paths` from, or undefined when not under tsx or tsx found none. */
  tsxTsconfig: string | undefined;
  /** Whether tsx's loader is active in this process. */
  underTsx: boolean;
}

let runtime: Runtime | undefined;

/** The running process's resolution settings, read from `process.execArgv` and `NODE_OPTIONS`. */
export function currentRuntime(): Runtime {
  runtime ??= readRuntime(process.execArgv, process.env.NODE_OPTIONS);
  return runtime;
}

/** Exposed for tests: the settings a process started with these flags would use. */
export function readRuntime(execArgv: readonly string[], nodeOptions: string | undefined): Runtime {
  const flags = [...splitNodeOptions(nodeOptions ?? ''), ...execArgv];
  const user = optionValues(flags, ['--conditions', '-C']);
  // Node adds these itself (lib/internal/modules/esm/utils.js): `module-sync` wherever
  // require(esm) is on, `node-addons` unless addons are disabled.
  const extras = [
    ...(process.features.require_module ? ['module-sync'] : []),
    ...(flags.includes('--no-addons') ? [] : ['node-addons']),
  ];
  const underTsx = tsxActive(flags);
  return {
    importConditions: unique(['node', 'import', ...extras, ...user]),
    requireConditions: unique(['require', 'node', ...extras, ...user]),
    tsxTsconfig: underTsx ? tsxTsconfigPath() : undefined,
    underTsx,
  };
}

const TSX_ENTRY = /(?:^|[\\/])tsx(?:[\\/](?:esm|cjs)(?:[\\/]api)?|[\\/]dist[\\/].+)?$/;

function tsxActive(flags: readonly string[]): boolean {
  // tsx counts its globally registered CommonJS loaders here; `--import tsx` and the tsx CLI
  // both register one in the main thread.
  const loaders = (globalThis as Record<symbol, unknown>)[Symbol.for('tsx:global-cjs-loader-count')];
  if (typeof loaders === 'number' && loaders > 0) return true;
  return optionValues(flags, ['--import', '--require', '-r', '--loader', '--experimental-loader']).some(
    (entry) => TSX_ENTRY.test(entry),
  );
}

/** tsx reads one tsconfig for the whole process: `TSX_TSCONFIG_PATH` (its `--tsconfig`), else the nearest `tsconfig.json` above the working directory. */
function tsxTsconfigPath(): string | undefined {
  const explicit = process.env.TSX_TSCONFIG_PATH;
  if (explicit) return resolve(explicit);
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function optionValues(flags: readonly string[], names: readonly string[]): string[] {
  const values: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    const equals = flag.indexOf('=');
    const name = equals === -1 ? flag : flag.slice(0, equals);
    if (!names.includes(name)) continue;
    if (equals !== -1) values.push(flag.slice(equals + 1));
    else if (i + 1 < flags.length) values.push(flags[++i]!);
  }
  return values;
}

/** NODE_OPTIONS is split on spaces, with double quotes grouping, as Node splits it. */
function splitNodeOptions(options: string): string[] {
  const parts: string[] = [];
  for (const match of options.matchAll(/"((?:\\.|[^"\\])*)"|(\S+)/g)) {
    parts.push(match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!);
  }
  return parts;
}

const unique = (values: string[]): string[] => [...new Set(values)];

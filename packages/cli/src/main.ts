/**
 * The `memoflow` command: parsing and printing only; the work is @memoflow/core's. Exit codes:
 * 0 ok, 1 a pipeline failed, 2 a usage error (nothing ran). An error is one line,
 * `memoflow: …`, with its stack only under `--debug`.
 */
import { readFileSync } from 'node:fs';
import type { MissingInputError } from '@memoflow/core';
import { Command, CommanderError, Option } from 'commander';
import { registerCache } from './commands/cache.ts';
import { registerConfig } from './commands/config.ts';
import { registerExplain } from './commands/explain.ts';
import { registerGraph } from './commands/graph.ts';
import { registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerUi } from './commands/ui.ts';
import { registerWorker } from './commands/worker.ts';
import { EXIT, UsageError } from './errors.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** The program, with every command; `exit` is where a finished command's code goes. */
export function program(): Command {
  const root = new Command('memoflow')
    .description('Content-addressed memoization for TypeScript functions and pipelines.')
    .version(version, '-v, --version')
    .addOption(new Option('--debug', 'print stack traces of errors'))
    .configureOutput({
      // One line: commander's `error: …`, as every error of the CLI reads, with where help is.
      outputError: (text, write) =>
        write(
          text.startsWith('error: ') ? `memoflow: ${text.slice(7).trimEnd()} (see memoflow --help)\n` : text,
        ),
    })
    .exitOverride();
  registerRun(root);
  registerRuns(root);
  registerWorker(root);
  registerExplain(root);
  registerGraph(root);
  registerCache(root);
  registerConfig(root);
  registerUi(root);
  return root;
}

/** Runs the command line `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const root = program();
  const debug = argv.includes('--debug');
  try {
    await root.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0; a bad command line, with 2.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const message =
      codeOf(error) === 'MISSING_INPUT'
        ? missingInputMessage(error as MissingInputError)
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`memoflow: ${message}\n`);
    if (debug) process.stderr.write(stacks(error));
    return error instanceof UsageError || isConfigError(error) ? EXIT.usage : EXIT.failed;
  }
}

// Core's errors are told by their code, not their class: core is loaded only by the commands
// that need it, and never for --help.
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** Core's CONFIG and MISSING_INPUT errors are mistakes in what was asked: usage errors. */
const isConfigError = (error: unknown): boolean =>
  ['CONFIG', 'MISSING_INPUT'].includes(String(codeOf(error)));

/** Core says how to pass a missing input in code; here it is a flag. */
function missingInputMessage(error: MissingInputError): string {
  const names = Object.keys(error.missing);
  const list = names
    .map((name) => `\`${name}\` (needed by ${error.missing[name]!.map((node) => `\`${node}\``).join(', ')})`)
    .join(', ');
  const flags = names.map((name) => `--input ${name}=…`).join(' ');
  return `missing ${names.length > 1 ? 'inputs' : 'input'} ${list}: pass ${flags}, or set ${names.length > 1 ? 'them' : 'it'} in the --inputs file`;
}

/**
 * The stack of `error` and of each of its causes, for `--debug`: a failed node's is the cause's,
 * the error the user's function threw, not core's wrapper.
 */
function stacks(error: unknown): string {
  const parts: string[] = [];
  for (let at: unknown = error; at instanceof Error; at = at.cause) parts.push(at.stack ?? String(at));
  return parts.length > 0 ? `${parts.join('\nCaused by: ')}\n` : '';
}

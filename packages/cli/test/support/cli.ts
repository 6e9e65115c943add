/**
 * The `memoflow` binary as users run it: `node bin/memoflow.js …` in a child process, in a
 * scratch project (ESM) whose pipeline modules import @memoflow/core by absolute path.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreEntry, type ScratchProject, scratchProject } from '../../../core/test/support/processes.ts';

/** The binary the package.json `bin` names. */
export const BIN = fileURLToPath(new URL('../../bin/memoflow.js', import.meta.url));

/** The CLI package's version, as `--version` should print it. */
export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Any ANSI escape sequence (colours, cursor moves). */
export const ANSI = new RegExp(`${String.fromCharCode(0x1b)}\\[`);

export interface CliResult {
  /** The exit code; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to the environment (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** Written to the process's stdin, which is then closed (a pipe, never a TTY). */
  stdin?: string;
}

/**
 * The environment every run starts from: this one without memoflow's settings, colour switches
 * or a CI job summary, so that a test sets only what it means to.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('MEMOFLOW_') || ['NO_COLOR', 'FORCE_COLOR', 'GITHUB_STEP_SUMMARY'].includes(name))
      delete env[name];
  }
  return env;
}

/**
 * Runs `memoflow …args` in `cwd` (the workspace's binary, or `bin`); resolves with its exit code
 * and output once it exits.
 */
export function memoflow(
  cwd: string,
  args: readonly string[],
  options: CliOptions = {},
  bin = BIN,
): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...baseEnv(), ...options.env } });
  return outcome(child, options.stdin ?? '');
}

/** Whether `script` (util-linux) can give a command a terminal: how the TTY cases run. */
export const canDriveTty =
  process.platform === 'linux' && spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Runs `memoflow …args` with stdin and stdout on a terminal (through `script`), typing `typed`.
 * The terminal's output (echo, prompts, line ends as `\r\n`) comes back as stdout.
 */
export function memoflowOnTty(
  cwd: string,
  args: readonly string[],
  options: CliOptions & { typed?: string } = {},
): Promise<CliResult> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: { ...baseEnv(), TERM: 'xterm-256color', ...options.env },
  });
  return outcome(child, options.typed ?? '');
}

function outcome(child: ChildProcessWithoutNullStreams, stdin: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** A scratch project with a `memoflow` of its own, run with the project as working directory. */
export interface CliProject extends ScratchProject {
  /** The absolute path of a file of the project. */
  path(relative: string): string;
  read(relative: string): string;
  /** Copies a directory of the project (a filled cache, say) to another of its paths. */
  copyDir(from: string, to: string): void;
  /** The files under a directory of the project, recursively, as paths relative to the project. */
  files(under: string): string[];
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
}

export function cliProject(files: Record<string, string> = {}): CliProject {
  const project = scratchProject(files, 'memoflow-cli-');
  return Object.assign(project, {
    path: (relative: string) => join(project.dir, relative),
    read: (relative: string) => readFileSync(join(project.dir, relative), 'utf8'),
    copyDir: (from: string, to: string) =>
      cpSync(join(project.dir, from), join(project.dir, to), { recursive: true }),
    files: (under: string) =>
      readdirSync(join(project.dir, under), { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name).slice(project.dir.length + 1)),
    cli: (args: readonly string[], options?: CliOptions) => memoflow(project.dir, args, options),
  });
}

/** stdout parsed as JSON, or a failure that shows what the command printed instead. */
export function parseJson<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON on stdout (exit ${result.code}), got:\n${result.stdout}\nstderr:\n${result.stderr}`,
    );
  }
}

/** The run report of `run --json`'s document, `{ outputs, report }`. */
export const reportOf = (result: CliResult) => parseJson(result).report;

/** The lines a command wrote to stderr, without the final empty one. */
export const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');

const core = JSON.stringify(coreEntry);

/**
 * The pipeline most tests run: `n` → doubled, (doubled, `name`) → label, label → padded. Each
 * node that takes an input appends what it got (with its JSON type) to seen.jsonl, so a test can
 * tell `3` from `"3"`; `padded` is over 4 KiB, so DiskCache keeps it in a blob file of its own.
 */
export const PIPELINE = `import { appendFileSync } from 'node:fs';
import { func, Pipeline } from ${core};

export const doubled = func({ output: 'doubled' }, (n: number) => {
  appendFileSync('seen.jsonl', \`\${JSON.stringify({ n })}\\n\`);
  return n * 2;
});

export const label = func({ output: 'label' }, (doubled: number, name: string) => {
  appendFileSync('seen.jsonl', \`\${JSON.stringify({ name })}\\n\`);
  return \`\${name}: \${doubled}\`;
});

export const padded = func({ output: 'padded' }, (label: string) => label.padEnd(8192, '.'));

export default new Pipeline([doubled, label, padded]);
`;

/** The nodes of PIPELINE, in order. */
export const NODES = ['doubled', 'label', 'padded'];

/** A pipeline (its `pipeline` export) whose one node throws for a negative `n`. */
export const FAILING = `import { func, Pipeline } from ${core};

export const checked = func({ output: 'checked' }, (n: number) => {
  if (n < 0) throw new RangeError(\`n must not be negative, got \${n}\`);
  return n;
});

export const pipeline = new Pipeline([checked]);
`;

/** A module with no pipeline in it. */
export const NO_PIPELINE = 'export const answer = 42;\n';

/** The statuses of a `run --json` report's nodes, by node. */
export const statuses = (report: { nodes: { node: string; status: string }[] }): Record<string, string> =>
  Object.fromEntries(report.nodes.map((node) => [node.node, node.status]));

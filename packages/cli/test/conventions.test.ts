import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ANSI,
  type CliResult,
  canDriveTty,
  cliProject,
  lines,
  memoflowOnTty,
  VERSION,
} from './support/cli.ts';

const project = cliProject();
afterAll(() => project.dispose());

/** The command names a help text lists under `Commands:`, but `help`. */
const commandsOf = (help: string): string[] =>
  [...help.slice(help.indexOf('\nCommands:\n')).matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((match) => match[1]!)
    .filter((name) => name !== 'help');

describe('--version and --help', () => {
  let version: CliResult;
  let help: CliResult;
  let cacheHelp: CliResult;
  /** Every command line that names a command, with `--help`: `run --help`, `cache prune --help`, … */
  let commandHelps: [command: string, result: CliResult][];
  beforeAll(async () => {
    [version, help, cacheHelp] = await Promise.all([
      project.cli(['--version']),
      project.cli(['--help']),
      project.cli(['cache', '--help']),
    ]);
    const commands = [
      ...commandsOf(help.stdout).filter((name) => name !== 'cache'),
      ...commandsOf(cacheHelp.stdout).map((name) => `cache ${name}`),
    ];
    commandHelps = [
      ['cache', cacheHelp],
      ...(await Promise.all(
        commands.map(
          async (command): Promise<[string, CliResult]> => [
            command,
            await project.cli([...command.split(' '), '--help']),
          ],
        ),
      )),
    ];
  });

  test('--version prints the package version', () => {
    expect(version).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('--help: exit 0, usage and every command', () => {
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: memoflow \[options\] \[command\]\n/);
    expect(commandsOf(help.stdout)).toEqual(expect.arrayContaining(['run', 'graph', 'cache', 'config']));
    expect(commandsOf(cacheHelp.stdout)).toEqual([
      'info',
      'ls',
      'prune',
      'clear',
      'verify',
      'export',
      'import',
    ]);
  });

  test('--help of every command: exit 0 and an Example section that uses the command', () => {
    expect(commandHelps.length).toBeGreaterThanOrEqual(12);
    for (const [command, result] of commandHelps) {
      expect({ command, ...result }).toMatchObject({ command, code: 0, stderr: '' });
      expect(result.stdout, command).toMatch(new RegExp(`^Usage: memoflow ${command} `));
      expect(result.stdout, command).toMatch(/^Examples?:$/m);
      expect(result.stdout, command).toMatch(new RegExp(`^ {2}\\$ (\\S+=\\S+ )*memoflow ${command}\\b`, 'm'));
    }
  });

  test('no colour escapes in help when stdout is not a terminal', () => {
    for (const result of [help, cacheHelp, ...commandHelps.map(([, result]) => result)]) {
      expect(result.stdout).not.toMatch(ANSI);
    }
  });
});

test('an unknown command or option: exit 2, one line saying where help is', async () => {
  const [command, option] = await Promise.all([
    project.cli(['frobnicate']),
    project.cli(['cache', 'info', '--frob']),
  ]);
  expect(command).toMatchObject({ code: 2, stdout: '' });
  expect(lines(command.stderr)).toEqual(["memoflow: unknown command 'frobnicate' (see memoflow --help)"]);
  expect(option).toMatchObject({ code: 2, stdout: '' });
  expect(lines(option.stderr)).toEqual(["memoflow: unknown option '--frob' (see memoflow --help)"]);
});

describe('colour', () => {
  // Off a terminal, no output has any: the help texts above, and the other files' tests, which
  // compare whole lines. On one, `cache info` styles its labels (of an empty cache too).
  test.skipIf(!canDriveTty)('on a terminal, output is styled; with NO_COLOR=1 it is not', async () => {
    const [styled, ...plain] = await Promise.all([
      memoflowOnTty(project.dir, ['cache', 'info']),
      memoflowOnTty(project.dir, ['cache', 'info'], { env: { NO_COLOR: '1' } }),
      memoflowOnTty(project.dir, ['config'], { env: { NO_COLOR: '1' } }),
    ]);
    expect(styled.code).toBe(0);
    expect(styled.stdout).toMatch(ANSI);
    for (const result of plain) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/\S/);
      expect(result.stdout).not.toMatch(ANSI);
    }
  });
});

/** Running commands the way a user types them in a shell. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Variables a package manager, tsx or the test runner set for their children. A user's shell has
 * none of them, and some change what npm or Node do (`npm_config_*`, `NODE_OPTIONS`, `NODE_ENV`).
 */
const notAUsersVariable = /^(npm_|pnpm_|vitest|tsx_|node_options$|node_env$)/i;

/** This process's environment without what only its launchers set, plus `extra`. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.entries(process.env).filter(([name]) => !notAUsersVariable.test(name));
  return { ...Object.fromEntries(env), ...extra };
}

export interface RunOptions {
  cwd: string;
  /** Variables added to the user's environment. */
  env?: Record<string, string>;
  /**
   * Milliseconds before the command is killed.
   * @default 180_000
   */
  timeout?: number;
}

/** Runs `command` with `args`; a failure rejects with the command line, its exit code and all it printed. */
export async function run(
  command: string,
  args: string[],
  { cwd, env, timeout = 180_000 }: RunOptions,
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, {
      cwd,
      env: userEnv(env),
      timeout,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
  } catch (error) {
    const failed = error as { code?: number | string; signal?: string; stdout?: string; stderr?: string };
    throw new Error(
      `\`${[command, ...args].join(' ')}\` in ${cwd} failed (exit ${failed.code ?? failed.signal}):\n` +
        `--- stdout\n${failed.stdout ?? ''}\n--- stderr\n${failed.stderr ?? ''}`,
      { cause: error },
    );
  }
}

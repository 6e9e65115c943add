/** `memoflow ui …` in a child process, as a user starts it: the URL it prints, and stopping it with SIGTERM. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { BIN } from '../../../cli/test/support/cli.ts';

export interface UiProcess {
  url: string;
  /** What it printed so far, stdout and stderr. */
  output(): string;
  /** Sends SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startUiProcess(
  cwd: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<UiProcess> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('MEMOFLOW_')),
  );
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, 'ui', ...args], {
    cwd,
    env: { ...clean, ...env },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /memoflow ui: (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        child.stdout.off('data', onData);
        child.stdout.on('data', (more: Buffer) => {
          output += more.toString('utf8');
        });
        resolve({
          url,
          output: () => output,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then((code) => reject(new Error(`memoflow ui exited (${code}) before serving:\n${output}`)));
  });
}

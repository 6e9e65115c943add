#!/usr/bin/env node
// The `memoflow` binary: the built CLI when there is one, else the TypeScript source, run by tsx
// in a child process that resolves workspace packages to their source too. SIGTERM and SIGHUP
// sent to this process (`kill`, `timeout`, a container stopping) are passed on to the child;
// SIGINT is not, as Ctrl-C reaches the child already (it is in the terminal's process group) and
// a second one would stop it at once. The child's exit code (or signal) becomes this one's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const source = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=memoflow-source', '--import', tsx, source, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}

/** The `memoflow` binary's entry point. */
import { main } from './main.ts';

// Output piped into a program that stops reading (`memoflow cache ls | head`) ends quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// Node prints a warning as `(node:1234) [CODE] Warning: …` plus a hint about --trace-warnings;
// memoflow's (an unreachable Redis, say) read as one line, like its errors.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  process.stderr.write(
    `${warning.message.startsWith('memoflow: ') ? '' : 'memoflow: warning: '}${warning.message}\n`,
  );
});

process.exitCode = await main(process.argv.slice(2));

/**
 * `memoflow ui`: a local web page for a pipeline module and the configured cache (the graph
 * coloured by the last run, nodes' details and values, runs and their diffs, the cache by node),
 * served on 127.0.0.1 until Ctrl-C. Needs @memoflow/ui, loaded only here.
 */
import { relative } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { configFrom, PIPELINE_MODULE, withBackendOptions } from '../options.ts';

interface UiFlags extends Record<string, unknown> {
  port: number;
  open?: boolean;
}

export function registerUi(program: Command): void {
  withBackendOptions(program.command('ui'))
    .description("serve a web page of a pipeline's graph, runs and cache on 127.0.0.1")
    .argument('<pipeline-module>', PIPELINE_MODULE)
    .option('--port <n>', 'the port to listen on; 0 picks a free one', portNumber, 0)
    .option('--open', 'open the page in the default browser')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow ui pipeline.ts --open\n  $ memoflow ui pipeline.ts --port 4321 --redis redis://cache:6379\n',
    )
    .action(async (module: string, flags: UiFlags) => {
      const [{ loadOptional }, { loadPipeline }, { openBackend }] = await Promise.all([
        import('../optional-packages.ts'),
        import('../load.ts'),
        import('../open-backend.ts'),
      ]);
      const [{ startUi, openInBrowser }] = await loadOptional('memoflow ui', ['@memoflow/ui']);
      const { values: config } = await configFrom(flags);
      const pipeline = await loadPipeline(module);
      const backend = await openBackend(config);
      try {
        const ui = await startUi({
          pipeline,
          backend,
          label: relative(process.cwd(), module) || module,
          port: flags.port,
        });
        process.stdout.write(`memoflow ui: ${ui.url} (Ctrl-C stops it)\n`);
        if (flags.open) await openInBrowser(ui.url);
        await untilStopped();
        await ui.close();
      } finally {
        await backend.close();
      }
    });
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM: the server's natural end. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function portNumber(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(
      `--port ${JSON.stringify(text)} is not a port: give a whole number from 0 (any free port) to 65535`,
    );
  return port;
}

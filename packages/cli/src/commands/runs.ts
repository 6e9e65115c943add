/**
 * `memoflow runs [list] | show <run> | diff [a] [b]`: the cache's history of runs, as `memoflow
 * run` (and any Runner) records it. A run is named by its id, a prefix of one, `latest`, or
 * `latest~N` (N runs before the latest).
 */
import type { RunHistoryStore, RunRecord } from '@memoflow/core';
import type { Command } from 'commander';
import { whereOf } from '../config.ts';
import { UsageError } from '../errors.ts';
import { configFrom, printJson, wholeNumber, withBackendOptions } from '../options.ts';

type Flags = Record<string, unknown>;

/** What the actions print with: loaded with the cache, so `--help` loads no core. */
type Text = typeof import('../runs-text.ts');

/** Runs `work` on the configured cache's history; a cache without one is a usage error. */
async function withHistory<T>(
  flags: Flags,
  work: (history: RunHistoryStore, at: string, text: Text) => Promise<T>,
): Promise<T> {
  const { values: config } = await configFrom(flags);
  const [{ openBackend }, { historyOf }, text] = await Promise.all([
    import('../open-backend.ts'),
    import('@memoflow/core'),
    import('../runs-text.ts'),
  ]);
  const backend = await openBackend(config);
  try {
    const history = historyOf(backend);
    const at = whereOf(config);
    if (!history) throw new UsageError(`the ${backend.name} cache at ${at} keeps no history of runs`);
    return await work(history, at, text);
  } finally {
    await backend.close();
  }
}

export function registerRuns(program: Command): void {
  const runs = program
    .command('runs')
    .description("the cache's history of runs: list them, show one, diff two")
    .addHelpText(
      'after',
      '\nA run is named by its id, a prefix of one, latest, or latest~N (N runs before the latest).\n\nExamples:\n  $ memoflow runs\n  $ memoflow runs show latest\n  $ memoflow runs diff latest~1 latest\n',
    );
  const sub = (name: string, description: string) =>
    withBackendOptions(runs.command(name, name === 'list' ? { isDefault: true } : {}))
      .description(description)
      .option('--json', 'print JSON');

  sub('list', 'the runs kept, newest first: id, when, duration, pipeline, nodes per status (the default)')
    .option('--limit <n>', 'only the newest n runs', wholeNumber('limit'))
    .action((flags: Flags) =>
      withHistory(flags, async (history, at, { renderRuns }) => {
        const summaries = await history.listRuns({ limit: flags.limit as number | undefined });
        if (flags.json) return printJson(summaries);
        process.stdout.write(
          summaries.length === 0
            ? `No runs recorded in ${at} yet: memoflow run records each run.\n`
            : renderRuns(summaries),
        );
      }),
    );

  sub('show', "one run's report: each node's status, why it missed, what changed, times and sizes")
    .argument('<run>', 'a run id, a prefix of one, latest, or latest~N')
    .action((name: string, flags: Flags) =>
      withHistory(flags, async (history, at, { renderRecord }) => {
        const record = await findRun(history, name, at);
        if (flags.json) return printJson(record);
        process.stdout.write(renderRecord(record));
      }),
    );

  sub('diff', 'which nodes changed state between two runs, and why (default: the two latest)')
    .argument('[a]', 'the earlier run', 'latest~1')
    .argument('[b]', 'the later run', 'latest')
    .action((a: string, b: string, flags: Flags) =>
      withHistory(flags, async (history, at, { diffRuns, renderDiff }) => {
        const [before, after] = [await findRun(history, a, at), await findRun(history, b, at)];
        const diff = diffRuns(before, after);
        if (flags.json) return printJson(diff);
        process.stdout.write(renderDiff(diff, before, after));
      }),
    );
}

/** The record `name` names: an id, a unique prefix of one, `latest` or `latest~N`; else a usage error. */
async function findRun(history: RunHistoryStore, name: string, at: string): Promise<RunRecord> {
  const back = /^latest(?:~(\d+))?$/.exec(name);
  if (back) {
    const steps = Number(back[1] ?? 0);
    const summaries = await history.listRuns({ limit: steps + 1 });
    const summary = summaries[steps];
    if (summary === undefined) {
      throw new UsageError(
        `no run ${name} in ${at}: ${summaries.length} ${summaries.length === 1 ? 'run is' : 'runs are'} recorded (memoflow runs lists them)`,
      );
    }
    return (await history.getRun(summary.id)) ?? unknownRun(name, at);
  }
  const exact = await history.getRun(name);
  if (exact) return exact;
  const matches = (await history.listRuns()).filter((summary) => summary.id.startsWith(name));
  if (matches.length > 1) {
    throw new UsageError(
      `run ${JSON.stringify(name)} is ambiguous in ${at}: it begins ${matches
        .slice(0, 3)
        .map((summary) => summary.id)
        .join(', ')}${matches.length > 3 ? ', …' : ''}; give more of the id`,
    );
  }
  return (matches[0] && (await history.getRun(matches[0].id))) ?? unknownRun(name, at);
}

function unknownRun(name: string, at: string): never {
  throw new UsageError(
    `no run ${JSON.stringify(name)} in ${at}: give an id \`memoflow runs\` lists, a prefix of one, latest or latest~N`,
  );
}

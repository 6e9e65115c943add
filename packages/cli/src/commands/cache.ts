/** `memoflow cache info|ls|prune|clear|verify|export|import`: the configured cache, managed. */
import { createInterface } from 'node:readline/promises';
import type { CacheBackend, CacheInfo, EntryRecord, PruneOptions } from '@memoflow/core';
import type { Command } from 'commander';
import { type CliConfig, whereOf } from '../config.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { OpenBackend } from '../open-backend.ts';
import { configFrom, printJson, wholeNumber, withBackendOptions } from '../options.ts';
import { colors, isTty, progressBar, table } from '../terminal.ts';
import { formatTime, parseDuration, parseSize } from '../units.ts';

type Flags = Record<string, unknown>;

/** Sizes for people: `1.5 KiB`, `1.0 MiB`. The kit's, loaded with the backend: `--help` loads no core. */
type FormatBytes = (bytes: number) => string;

/** Runs `work` on the configured backend, and closes it. */
async function withBackend<T>(
  flags: Flags,
  work: (backend: OpenBackend, config: CliConfig, formatBytes: FormatBytes) => Promise<T>,
): Promise<T> {
  const { values: config } = await configFrom(flags);
  const [{ openBackend }, { formatBytes }] = await Promise.all([
    import('../open-backend.ts'),
    import('@memoflow/core/backend-kit'),
  ]);
  const backend = await openBackend(config);
  try {
    return await work(backend, config, formatBytes);
  } finally {
    await backend.close();
  }
}

export function registerCache(program: Command): void {
  const cache = program
    .command('cache')
    .description('look at and manage the cache')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow cache info\n  $ memoflow cache prune --max-size 1GB --max-age 7d --dry-run\n  $ memoflow cache clear --node scores\n',
    );
  const sub = (name: string, description: string) =>
    withBackendOptions(cache.command(name)).description(description).option('--json', 'print JSON');

  sub('info', 'what the cache holds: entries, size, per node, most recent')
    .addHelpText('after', '\nExample:\n  $ memoflow cache info --cache-dir .memoflow\n')
    .action((flags: Flags) =>
      withBackend(flags, async (backend, config, formatBytes) => {
        const info = await backend.info();
        if (flags.json) return printJson(info);
        process.stdout.write(renderInfo(info, whereOf(config), formatBytes));
      }),
    );

  sub('ls', 'list the entries, optionally of one node')
    .option('--node <name>', 'only this node')
    .addHelpText('after', '\nExample:\n  $ memoflow cache ls --node scores\n')
    .action((flags: Flags) =>
      withBackend(flags, async (backend, _config, formatBytes) => {
        const records: EntryRecord[] = [];
        for await (const record of backend.entries(
          flags.node === undefined ? {} : { node: String(flags.node) },
        ))
          records.push(record);
        records.sort((a, b) => b.createdAt - a.createdAt);
        if (flags.json) return printJson(records);
        process.stdout.write(`${entriesTable(records, formatBytes)}\n`);
      }),
    );

  sub('prune', 'remove least recently used entries until the limits hold')
    .option('--max-size <size>', 'keep at most this much, e.g. 1GB or 500MiB')
    .option('--max-age <duration>', 'remove entries unused for longer, e.g. 7d or 12h')
    .option('--max-entries <n>', 'keep at most this many entries', wholeNumber('max-entries'))
    .option('--dry-run', 'say what would go, remove nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow cache prune --max-size 1GB --max-age 7d --dry-run\n  $ memoflow cache prune --max-entries 10000\n',
    )
    .action((flags: Flags) =>
      withBackend(flags, async (backend, _config, formatBytes) => {
        const options: PruneOptions = { dryRun: flags.dryRun === true };
        if (flags.maxSize !== undefined) options.maxBytes = parseSize(String(flags.maxSize), '--max-size');
        if (flags.maxAge !== undefined) options.maxAge = parseDuration(String(flags.maxAge), '--max-age');
        if (flags.maxEntries !== undefined) options.maxEntries = flags.maxEntries as number;
        if (
          options.maxBytes === undefined &&
          options.maxAge === undefined &&
          options.maxEntries === undefined
        ) {
          throw new UsageError('prune needs a limit: --max-size, --max-age or --max-entries');
        }
        const result = await backend.prune(options);
        if (flags.json) return printJson(result);
        const verb = options.dryRun ? 'would remove' : 'removed';
        process.stdout.write(`${verb} ${entries(result.entries)}, ${formatBytes(result.bytes)}\n`);
        const rows = Object.entries(result.nodes).map(([node, n]) => [
          node,
          String(n.entries),
          formatBytes(n.bytes),
        ]);
        if (rows.length > 0)
          process.stdout.write(`${table(['node', 'entries', 'size'], rows, new Set([1, 2]))}\n`);
      }),
    );

  sub('clear', 'remove every entry, or one node’s')
    .option('--node <name>', 'only this node')
    .option('-y, --yes', 'do not ask for confirmation')
    .addHelpText(
      'after',
      '\nExamples:\n  $ memoflow cache clear --node scores\n  $ memoflow cache clear --yes\n',
    )
    .action((flags: Flags) =>
      withBackend(flags, async (backend, config) => {
        const what = flags.node === undefined ? 'every entry' : `every entry of node ${flags.node}`;
        if (
          !flags.yes &&
          isTty() &&
          process.stdin.isTTY &&
          !(await confirm(`Remove ${what} from ${whereOf(config)}?`))
        ) {
          process.stdout.write('nothing removed\n');
          return;
        }
        await backend.clear(flags.node === undefined ? {} : { node: String(flags.node) });
        if (flags.json) return printJson({ cleared: flags.node ?? null });
        process.stdout.write(`removed ${what}\n`);
      }),
    );

  sub('verify', 're-check every entry; remove and report damaged ones')
    .addHelpText('after', '\nExample:\n  $ memoflow cache verify --json\n')
    .action((flags: Flags) =>
      withBackend(flags, async (backend) => {
        const bar = await progressBar('verifying');
        const report = await backend.verify({ onProgress: bar.onProgress }).finally(bar.stop);
        if (!report.ok) process.exitCode = EXIT.failed;
        if (flags.json) return printJson(report);
        process.stdout.write(
          `${report.ok ? colors.green('ok') : colors.red('damage found')}: ${entries(report.checked)} checked, ` +
            `${report.corrupt.length} corrupt, ${report.missing.length} missing, ${report.orphans} orphans removed\n`,
        );
      }),
    );

  sub('export', 'write the cache (or one node) to a .tar.gz archive')
    .argument('<file>', 'the archive to write')
    .option('--node <name>', 'only this node')
    .addHelpText('after', '\nExample:\n  $ memoflow cache export cache.tar.gz\n')
    .action((file: string, flags: Flags) =>
      withBackend(flags, async (backend, _config, formatBytes) => {
        const bar = await progressBar('exporting');
        const node = flags.node === undefined ? {} : { node: String(flags.node) };
        const result = await diskOnly(backend, 'export')
          .export(file, { ...node, onProgress: bar.onProgress })
          .finally(bar.stop);
        if (flags.json) return printJson(result);
        process.stdout.write(
          `exported ${entries(result.entries)} (${values(result.blobs)}, ${formatBytes(result.bytes)}) to ${file}\n`,
        );
      }),
    );

  sub('import', 'add the entries of an archive `cache export` wrote; every value is verified first')
    .argument('<file>', 'the archive to read')
    .option(
      '--max-bytes <size>',
      'refuse an archive whose values add up to more, e.g. 2GB (default: no limit)',
    )
    .addHelpText('after', '\nExample:\n  $ memoflow cache import cache.tar.gz --max-bytes 2GB\n')
    .action((file: string, flags: Flags) =>
      withBackend(flags, async (backend, _config, formatBytes) => {
        const limit =
          flags.maxBytes === undefined ? {} : { maxBytes: parseSize(String(flags.maxBytes), '--max-bytes') };
        const bar = await progressBar('importing');
        const result = await diskOnly(backend, 'import')
          .import(file, { ...limit, onProgress: bar.onProgress })
          .finally(bar.stop);
        if (flags.json) return printJson(result);
        process.stdout.write(
          `imported ${entries(result.entries)} (${values(result.blobs)}, ${formatBytes(result.bytes)}) from ${file}\n`,
        );
      }),
    );
}

/** export and import move a DiskCache; a shared server needs neither. */
function diskOnly(backend: CacheBackend & Partial<Record<'export' | 'import', unknown>>, what: string) {
  if (typeof backend.export !== 'function' || typeof backend.import !== 'function') {
    throw new UsageError(
      `cache ${what} works on a DiskCache: a Redis cache is shared already (drop --redis)`,
    );
  }
  return backend as Required<OpenBackend>;
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** `print_cache_info`: where, how much, per node, and the most recent entries. */
function renderInfo(info: CacheInfo, where: string, formatBytes: FormatBytes): string {
  const lines = [
    `${colors.bold('Cache')}    ${info.backend} at ${where}`,
    `${colors.bold('Entries')}  ${info.entries}`,
    `${colors.bold('Size')}     ${formatBytes(info.bytes)}`,
  ];
  if (info.oldest && info.newest) {
    lines.push(`${colors.bold('Oldest')}   ${formatTime(info.oldest.createdAt)} (${info.oldest.node})`);
    lines.push(`${colors.bold('Newest')}   ${formatTime(info.newest.createdAt)} (${info.newest.node})`);
  }
  const nodes = Object.entries(info.nodes).sort((a, b) => b[1].bytes - a[1].bytes);
  if (nodes.length > 0) {
    lines.push(
      '',
      table(
        ['node', 'entries', 'size'],
        nodes.map(([node, n]) => [node, String(n.entries), formatBytes(n.bytes)]),
        new Set([1, 2]),
      ),
    );
  }
  if (info.recent.length > 0)
    lines.push('', colors.bold('Most recent'), entriesTable(info.recent, formatBytes));
  return `${lines.join('\n')}\n`;
}

function entriesTable(records: readonly EntryRecord[], formatBytes: FormatBytes): string {
  const rows = records.map((record) => [
    record.key.slice(0, 12),
    record.node,
    formatBytes(record.bytes),
    formatTime(record.createdAt),
    formatTime(record.lastAccess),
  ]);
  return table(['key', 'node', 'size', 'created', 'last used'], rows, new Set([2]));
}

const entries = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;
const values = (n: number): string => `${n} ${n === 1 ? 'value' : 'values'}`;

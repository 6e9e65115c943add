import { formatBytes } from '../util/index.ts';
import type { NodeReport, NodeStatus, RunReportData } from './types.ts';

/** The mark each status gets in the verbose line and the text table (the seed's style). */
const STATUS_MARK: Record<NodeStatus, string> = {
  hit: '✓',
  miss: '✗',
  failed: '✗',
  skipped: '·',
  disabled: '–',
};

/** The order statuses are counted in summaries. */
export const STATUS_ORDER: readonly NodeStatus[] = ['hit', 'miss', 'failed', 'skipped', 'disabled'];

/**
 * `12ms` below 100 ms, `0.31s` / `1.02s` up to a minute, `2m 03s` past it, `1h 02m 03s` past an
 * hour.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '0ms';
  if (ms > 0 && ms < 1) return '<1ms';
  // Rounding decides the unit, so 99.6 ms reads `0.10s` and 59.996 s reads `1m 00s`, never `100ms`
  // or `60.00s`.
  if (Math.round(ms) < 100) return `${Math.round(ms)}ms`;
  const centiseconds = Math.round(ms / 10);
  if (centiseconds < 6000) return `${(centiseconds / 100).toFixed(2)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const seconds = pad2(totalSeconds % 60);
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes}m ${seconds}s`;
  return `${Math.floor(totalMinutes / 60)}h ${pad2(totalMinutes % 60)}m ${seconds}s`;
}

/** Whole numbers with thousands separators, the same in every locale: `1,000`. */
export function formatCount(count: number): string {
  return Math.round(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `2 hit, 1 miss, 1 failed`: the statuses that occur, in a fixed order. */
function statusCounts(nodes: readonly NodeReport[]): string {
  const counts = new Map<NodeStatus, number>();
  for (const node of nodes) counts.set(node.status, (counts.get(node.status) ?? 0) + 1);
  return STATUS_ORDER.filter((status) => counts.has(status))
    .map((status) => `${formatCount(counts.get(status)!)} ${status}`)
    .join(', ');
}

/** The milliseconds all hits saved together. */
function totalSavedMs(nodes: readonly NodeReport[]): number {
  let saved = 0;
  for (const node of nodes) saved += node.savedMs ?? 0;
  return saved;
}

/** `6 nodes: 2 hit, 1 miss — 2.31s, saved 14.2s`, without the parts that would be empty. */
export function summarySentence(report: RunReportData): string {
  const count = report.nodes.length;
  const counts = statusCounts(report.nodes);
  const saved = totalSavedMs(report.nodes);
  let sentence = `${formatCount(count)} ${count === 1 ? 'node' : 'nodes'}`;
  if (counts) sentence += `: ${counts}`;
  sentence += ` — ${formatDuration(report.durationMs)}`;
  if (saved > 0) sentence += `, saved ${formatDuration(saved)}`;
  return sentence;
}

/** `998 hit, 2 miss` for a mapped node. */
export function itemCounts(items: NonNullable<NodeReport['items']>): string {
  return `${formatCount(items.hits)} hit, ${formatCount(items.misses)} miss`;
}

/**
 * The verbose line:
 * `[CACHE] rows: ✓ HIT | clean: ✗ MISS inputs (1.02s) | scores: 998 HIT, 2 MISS (0.31s)`.
 */
export function renderLine(report: RunReportData): string {
  return `[CACHE] ${report.nodes.map(lineEntry).join(' | ')}`.trimEnd();
}

function lineEntry(node: NodeReport): string {
  const time = node.computeMs === undefined ? '' : ` (${formatDuration(node.computeMs)})`;
  const { items } = node;
  if (items && (node.status === 'hit' || node.status === 'miss')) {
    const counts = `${formatCount(items.hits)} HIT, ${formatCount(items.misses)} MISS`;
    return `${node.node}: ${counts}${items.misses > 0 ? time : ''}`;
  }
  switch (node.status) {
    case 'hit':
      return `${node.node}: ✓ HIT`;
    case 'miss':
      return `${node.node}: ✗ MISS${node.reason ? ` ${node.reason}` : ''}${time}`;
    case 'failed':
      return `${node.node}: ✗ FAILED${time}`;
    case 'disabled':
      return `${node.node}: – DISABLED${time}`;
    case 'skipped':
      return `${node.node}: · SKIPPED`;
  }
}

interface Column {
  title: string;
  alignRight?: boolean;
  cell(node: NodeReport): string;
}

const COLUMNS: readonly Column[] = [
  { title: 'node', cell: (node) => node.node },
  { title: 'status', cell: (node) => `${STATUS_MARK[node.status]} ${node.status}` },
  { title: 'reason', cell: (node) => node.reason ?? '' },
  { title: 'changed', cell: (node) => (node.changed ?? []).join(', ') },
  { title: 'time', alignRight: true, cell: timeCell },
  {
    title: 'read',
    alignRight: true,
    cell: (node) => (node.bytesRead > 0 ? formatBytes(node.bytesRead) : ''),
  },
  {
    title: 'written',
    alignRight: true,
    cell: (node) => (node.bytesWritten > 0 ? formatBytes(node.bytesWritten) : ''),
  },
  { title: 'items', cell: (node) => (node.items ? itemCounts(node.items) : '') },
  // Where an executor computed the node (a distributed run only).
  { title: 'worker', cell: (node) => node.worker ?? '' },
];

function timeCell(node: NodeReport): string {
  if (node.status === 'hit') return node.savedMs ? `saved ${formatDuration(node.savedMs)}` : '';
  const parts: string[] = [];
  if (node.computeMs !== undefined) parts.push(formatDuration(node.computeMs));
  // A mapped node that missed some items also saved the hits' compute time.
  if (node.savedMs) parts.push(`saved ${formatDuration(node.savedMs)}`);
  return parts.join(', ');
}

/**
 * A table for a terminal, one row per node, then the failed nodes' errors and a summary line.
 * Columns that would be empty for every node are left out. No colours: callers add them.
 */
export function renderText(report: RunReportData): string {
  const lines: string[] = [];
  if (report.nodes.length > 0) {
    const rows = report.nodes.map((node) => COLUMNS.map((column) => oneLine(column.cell(node))));
    // `node` and `status` always show; other columns only when some node has something to say.
    const shown = COLUMNS.map((_, index) => index < 2 || rows.some((row) => row[index] !== ''));
    const table = [COLUMNS.map((column) => column.title), ...rows];
    const widths = COLUMNS.map((_, index) => Math.max(...table.map((row) => width(row[index]!))));
    for (const row of table) {
      const cells = COLUMNS.flatMap((column, index) =>
        shown[index] ? [alignCell(row[index]!, widths[index]!, column.alignRight)] : [],
      );
      lines.push(cells.join('  ').trimEnd());
    }
  }
  const failures = report.nodes.filter((node) => node.error);
  if (failures.length > 0) {
    lines.push('');
    for (const node of failures) {
      const [first = '', ...rest] = `${node.error!.name}: ${node.error!.message}`.split(/\r?\n/);
      lines.push(`${STATUS_MARK.failed} ${node.node} failed: ${first}`, ...rest.map((line) => `    ${line}`));
    }
  }
  if (lines.length > 0) lines.push('');
  lines.push(summarySentence(report));
  return lines.join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

function width(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function alignCell(text: string, columnWidth: number, alignRight = false): string {
  const padding = ' '.repeat(columnWidth - width(text));
  return alignRight ? padding + text : text + padding;
}

function pad2(value: number): string {
  return value.toString().padStart(2, '0');
}

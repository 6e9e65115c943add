/** `memoflow runs` as text: the list of runs, one run's report, the diff of two. */
import {
  diffRuns,
  formatDuration,
  type NodeChange,
  type RunDiff,
  type RunRecord,
  RunReport,
  type RunSummary,
} from '@memoflow/core';
import { colors, table } from './terminal.ts';
import { formatTime } from './units.ts';

export { diffRuns };

const STATUSES = ['hit', 'miss', 'failed', 'skipped', 'disabled'] as const;

/** Who recorded a run, as the list says it. */
const sourceOf = (source: RunSummary['source']): string => (source === 'cli' ? 'memoflow run' : 'library');

/** The runs as a table, newest first: id, when, duration, pipeline, who, and nodes per status. */
export function renderRuns(summaries: readonly RunSummary[]): string {
  const rows = summaries.map((run) => [
    run.id,
    formatTime(run.startedAt),
    formatDuration(run.durationMs),
    run.pipeline ?? colors.dim('-'),
    sourceOf(run.source),
    ...STATUSES.map((status) => String(run.counts[status] ?? 0)),
  ]);
  const header = ['id', 'started', 'duration', 'pipeline', 'by', ...STATUSES];
  const numeric = new Set([2, 5, 6, 7, 8, 9]);
  return `${table(header, rows, numeric)}\n`;
}

/** One run: what it was, then its report as `memoflow run` printed it. */
export function renderRecord(record: RunRecord): string {
  const what = [
    `run ${record.id}`,
    record.pipeline,
    `by ${sourceOf(record.source)}`,
    `started ${formatTime(record.startedAt)}`,
  ].filter(Boolean);
  const outputs = record.outputs.length > 0 ? record.outputs.join(', ') : '(none)';
  return `${what.join(' · ')}\noutputs: ${outputs}\n\n${new RunReport(record.report).toText()}\n`;
}

/** Which nodes changed state from `a` to `b`, why, and their times. */
export function renderDiff(diff: RunDiff, a: RunRecord, b: RunRecord): string {
  const title = `runs ${a.id} → ${b.id}${b.pipeline ? ` · ${b.pipeline}` : ''}`;
  const changed = diff.nodes.length;
  const summary = `${changed === 0 ? 'No node' : `${changed} ${changed === 1 ? 'node' : 'nodes'}`} changed state, ${diff.unchanged} unchanged · ${formatDuration(diff.durationMs.before)} → ${formatDuration(diff.durationMs.after)}`;
  if (changed === 0) return `${title}\n${summary}\n`;
  const rows = diff.nodes.map((change) => [
    change.node,
    change.before,
    change.after,
    whyOf(change),
    `${timeOf(change.computeMs.before)} → ${timeOf(change.computeMs.after)}`,
  ]);
  return `${title}\n${summary}\n\n${table(['node', 'before', 'after', 'why', 'time'], rows)}\n`;
}

/** Why a node's state changed: its miss reason and what changed, the new key, its items, its error. */
function whyOf(change: NodeChange): string {
  const parts: string[] = [];
  if (change.reason !== undefined) {
    parts.push(change.changed ? `${change.reason}: ${change.changed.join(', ')}` : change.reason);
  }
  if (change.keyChanged && change.reason === undefined) parts.push('new key');
  const items = change.items?.after;
  if (items !== undefined) parts.push(`items ${items.hits} hit, ${items.misses} miss of ${items.total}`);
  if (change.error !== undefined) parts.push(`${change.error.name}: ${change.error.message}`);
  if (change.after === 'absent') parts.push('not needed by the later run');
  if (change.before === 'absent') parts.push('not needed by the earlier run');
  return parts.join('; ') || colors.dim('-');
}

const timeOf = (ms: number | undefined): string => (ms === undefined ? '-' : formatDuration(ms));

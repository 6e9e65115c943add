/** How the page writes sizes, durations, times and states. */
import { formatBytes } from '../../core/src/util/format-bytes.ts';
import type { NodeRunView, NodeState } from '../src/types.ts';

/** `512 B`, `1.5 KiB`, `1.0 MiB` (never `1024 KiB`): core's one formatter, bundled into the page. */
export function bytes(count: number | undefined): string {
  return count === undefined ? '' : formatBytes(count);
}

/** `850 ms`, `1.2 s`, `2m 5s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}

/** A moment as local date and time, to the second. */
export function when(epochMs: number): string {
  return new Date(epochMs).toLocaleString(undefined, { hour12: false });
}

const STATE_LABELS: Record<NodeState, string> = {
  hit: 'hit',
  miss: 'miss',
  failed: 'failed',
  skipped: 'skipped',
  disabled: 'disabled',
  'not-run': 'not run',
};

export const stateLabel = (state: NodeState): string => STATE_LABELS[state];

/** A node's line under its name: time (saved by a hit, spent by a miss), size, items. */
export function nodeMeta(view: NodeRunView | undefined): string {
  if (!view) return 'not run';
  const parts = [stateLabel(view.state)];
  if (view.ms !== undefined) parts.push(duration(view.ms));
  if (view.bytes !== undefined) parts.push(bytes(view.bytes));
  if (view.items) parts.push(`${view.items.hits}/${view.items.total} hit`);
  return parts.join(' · ');
}

/** Why a node missed, in words: the reason, then what changed. */
export function why(view: Pick<NodeRunView, 'reason' | 'changed'>): string {
  if (view.reason === undefined) return '';
  return view.changed && view.changed.length > 0 ? `${view.reason}: ${view.changed.join(', ')}` : view.reason;
}

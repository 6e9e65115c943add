/**
 * A pipeline's picture coloured by a run: each node's box filled by its state (hit, miss,
 * failed, skipped, disabled), in Mermaid (a classDef per state) or DOT (fill colours, and the
 * time and size under the name). Nodes the run did not have stay plain.
 */
import type { NodeReport, NodeStatus, Pipeline } from '@memoflow/core';

/** Fill and border of each state, the same as the UI's. */
const STATE_COLOURS: Record<NodeStatus, { fill: string; stroke: string }> = {
  hit: { fill: '#dafbe1', stroke: '#2da44e' },
  miss: { fill: '#fff8c5', stroke: '#d4a72c' },
  failed: { fill: '#ffebe9', stroke: '#cf222e' },
  skipped: { fill: '#eaeef2', stroke: '#8c959f' },
  disabled: { fill: '#eaeef2', stroke: '#6e7781' },
};

/** What a picture needs of a node's line in a run report. */
export type NodeState = Pick<
  NodeReport,
  'node' | 'status' | 'computeMs' | 'savedMs' | 'bytesRead' | 'bytesWritten'
>;

/**
 * `pipeline.toMermaid()` with a classDef per state and each node of `states` in its state's
 * class. Node ids are `toMermaid()`'s: `n<i>` for the i-th node of `pipeline.nodes`.
 */
export function statusMermaid(pipeline: Pipeline, states: readonly NodeState[]): string {
  const byNode = new Map(states.map((state) => [state.node, state.status]));
  const members = new Map<NodeStatus, string[]>();
  for (const [i, node] of pipeline.nodes.entries()) {
    const status = byNode.get(node.name);
    if (status === undefined) continue;
    const ids = members.get(status);
    if (ids) ids.push(`n${i}`);
    else members.set(status, [`n${i}`]);
  }
  const lines = [pipeline.toMermaid().trimEnd()];
  for (const [status, ids] of members) {
    const { fill, stroke } = STATE_COLOURS[status];
    lines.push(`  classDef ${status} fill:${fill},stroke:${stroke},color:#1f2328`);
    lines.push(`  class ${ids.join(',')} ${status}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `pipeline.toDot()` with each node of `states` filled by its state and labelled with its state,
 * time and size (a node statement repeated in DOT adds to the first one's attributes).
 */
export function statusDot(
  pipeline: Pipeline,
  states: readonly NodeState[],
  formatBytes: (bytes: number) => string,
): string {
  const byNode = new Map(states.map((state) => [state.node, state]));
  const lines: string[] = [];
  for (const node of pipeline.nodes) {
    const state = byNode.get(node.name);
    if (!state) continue;
    const { fill, stroke } = STATE_COLOURS[state.status];
    const ms = state.status === 'hit' ? state.savedMs : state.computeMs;
    const bytes = Math.max(state.bytesRead, state.bytesWritten);
    const meta = [state.status, ms === undefined ? '' : formatMs(ms), bytes > 0 ? formatBytes(bytes) : '']
      .filter(Boolean)
      .join(' · ');
    const name = node.map === undefined ? node.name : `${node.name}[]`;
    lines.push(
      `  ${dotText(node.name)} [style=filled, fillcolor="${fill}", color="${stroke}", label=${dotText(`${name}\n${meta}`)}];`,
    );
  }
  const dot = pipeline.toDot().trimEnd();
  // Before the closing brace of the digraph.
  return `${dot.slice(0, dot.lastIndexOf('}'))}${lines.map((line) => `${line}\n`).join('')}}\n`;
}

/** A Markdown section for a GitHub Actions job summary: the coloured graph, which GitHub draws. */
export function graphSummary(mermaid: string, title: string): string {
  return `\n### ${title}\n\n\`\`\`mermaid\n${mermaid}\`\`\`\n`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A DOT quoted string, as core's pictures write them; a line break becomes DOT's `\n`. */
function dotText(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&').replace(/\r?\n|\r/g, '\\n')}"`;
}

import { formatBytes, mermaidText } from '../util/index.ts';
import { formatDuration, itemCounts, STATUS_ORDER, summarySentence } from './text.ts';
import type { NodeReport, NodeStatus, RunReportData } from './types.ts';

const MARKDOWN_STATUS: Record<NodeStatus, string> = {
  hit: '✅ hit',
  miss: '🔄 miss',
  failed: '❌ failed',
  skipped: '⏭️ skipped',
  disabled: '➖ disabled',
};

const MERMAID_MARK: Record<NodeStatus, string> = {
  hit: '✓',
  miss: '↻',
  failed: '✗',
  skipped: '⏭',
  disabled: '–',
};

/** Fill and stroke per status: Bootstrap's alert palette, readable on GitHub's light and dark themes. */
const MERMAID_STYLE: Record<NodeStatus, string> = {
  hit: 'fill:#d4edda,stroke:#28a745,color:#155724',
  miss: 'fill:#fff3cd,stroke:#ffc107,color:#856404',
  failed: 'fill:#f8d7da,stroke:#dc3545,color:#721c24',
  skipped: 'fill:#e2e3e5,stroke:#6c757d,color:#383d41',
  disabled: 'fill:#f8f9fa,stroke:#adb5bd,color:#6c757d,stroke-dasharray:4 3',
};

/**
 * A CI job summary: a heading, a summary sentence, a table of the nodes, the failed nodes' errors
 * and the graph in a ```mermaid fence.
 */
export function renderMarkdown(report: RunReportData): string {
  const lines = ['### memoflow run', '', `${summarySentence(report)} (backend \`${report.backend}\`).`];
  if (report.nodes.length > 0) {
    lines.push(
      '',
      '| node | status | reason | changed | time | saved | read | written |',
      '| --- | --- | --- | --- | ---: | ---: | ---: | ---: |',
      ...report.nodes.map(tableRow),
    );
  }
  const failures = report.nodes.filter((node) => node.error);
  if (failures.length > 0) {
    lines.push('', '#### Failed');
    for (const node of failures) {
      const message = `${node.error!.name}: ${node.error!.message}`;
      const fence = '`'.repeat(Math.max(3, longestBacktickRun(message) + 1));
      lines.push('', `**${escapeInline(node.node)}**`, '', `${fence}text`, message, fence);
    }
  }
  const unseen = report.nodes.filter((node) => node.unseen);
  if (unseen.length > 0) {
    lines.push('', '#### Not hashed', '');
    for (const node of unseen)
      for (const warning of node.unseen!)
        lines.push(`- **${escapeInline(node.node)}**: ${escapeInline(warning)}`);
  }
  lines.push('', '```mermaid', renderMermaid(report), '```', '');
  return lines.join('\n');
}

/**
 * A `flowchart LR` of the nodes and edges, each node labelled with its name and status and
 * coloured by status. Node ids are `n0`, `n1`, … so that no name can break the syntax.
 */
export function renderMermaid(report: RunReportData): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  const idOf = (name: string, label: string): string => {
    let id = ids.get(name);
    if (id === undefined) {
      id = `n${ids.size}`;
      ids.set(name, id);
      lines.push(`  ${id}["${mermaidText(label)}"]`);
    }
    return id;
  };
  const byStatus = new Map<NodeStatus, string[]>();
  for (const node of report.nodes) {
    const id = idOf(node.node, `${node.node} ${MERMAID_MARK[node.status]} ${node.status}`);
    const members = byStatus.get(node.status) ?? [];
    members.push(id);
    byStatus.set(node.status, members);
  }
  // An edge to a node the report does not list still gets drawn, unstyled, rather than dropped.
  for (const [upstream, downstream] of report.edges) {
    lines.push(`  ${idOf(upstream, upstream)} --> ${idOf(downstream, downstream)}`);
  }
  for (const status of STATUS_ORDER) lines.push(`  classDef ${status} ${MERMAID_STYLE[status]}`);
  for (const status of STATUS_ORDER) {
    const members = byStatus.get(status);
    if (members) lines.push(`  class ${members.join(',')} ${status}`);
  }
  return lines.join('\n');
}

function tableRow(node: NodeReport): string {
  const status = node.items
    ? `${MARKDOWN_STATUS[node.status]} (${itemCounts(node.items)})`
    : MARKDOWN_STATUS[node.status];
  const cells = [
    escapeInline(node.node),
    status,
    node.reason ?? '',
    (node.changed ?? []).join(', '),
    node.computeMs === undefined ? '' : formatDuration(node.computeMs),
    node.savedMs ? formatDuration(node.savedMs) : '',
    node.bytesRead > 0 ? formatBytes(node.bytesRead) : '',
    node.bytesWritten > 0 ? formatBytes(node.bytesWritten) : '',
  ];
  return `| ${cells.map(escapeCell).join(' | ')} |`;
}

// GitHub splits table rows on `|` even inside code spans, and a raw newline ends the row.
function escapeCell(text: string): string {
  return text.replace(/\\?\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

// A node name is text the user chose: keep `*`, `_`, `<` and friends from turning into markup.
function escapeInline(text: string): string {
  return text.replace(/[\\`*_[\]<>#|~]/g, (char) => `\\${char}`).replace(/\r?\n/g, ' ');
}

// Inside a quoted Mermaid label `"` ends the label and `<`, `>` are read as HTML; Mermaid's
// entity codes stand in for them, and `#` is encoded first so a name cannot forge an entity.

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

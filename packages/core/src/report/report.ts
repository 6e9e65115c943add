/**
 * What a run did, per node: the data behind the verbose line, the text and Markdown reports and
 * the Mermaid graph.
 */

import { renderMarkdown, renderMermaid } from './markdown.ts';
import { renderLine, renderText } from './text.ts';
import type { NodeReport, RunReportData } from './types.ts';

export type { MissReason, NodeReport, NodeStatus, RunReportData } from './types.ts';

/**
 * A run report: what each node did and why, with renderers for a terminal, a CI job summary and
 * a graph. `JSON.stringify(report)` gives the plain data.
 *
 * @example
 * const { report } = await runner.run(pipeline, inputs);
 * console.error(report.toText());
 * if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, report.toMarkdown());
 */
export class RunReport implements RunReportData {
  nodes: NodeReport[];
  edges: [string, string][];
  backend: string;
  startedAt: number;
  durationMs: number;

  constructor(data: RunReportData) {
    this.nodes = [...data.nodes];
    this.edges = [...data.edges];
    this.backend = data.backend;
    this.startedAt = data.startedAt;
    this.durationMs = data.durationMs;
  }

  /** The one line verbose mode prints: `[CACHE] rows: ✓ HIT | clean: ✗ MISS inputs (1.02s)`. */
  toLine(): string {
    return renderLine(this);
  }

  /** A table for a terminal, one row per node, and a summary line. No colours. */
  toText(): string {
    return renderText(this);
  }

  /** A heading, summary, table and Mermaid graph, ready for `$GITHUB_STEP_SUMMARY`. */
  toMarkdown(): string {
    return renderMarkdown(this);
  }

  /** A Mermaid `flowchart LR` of the run, nodes coloured by status. */
  toMermaid(): string {
    return renderMermaid(this);
  }

  /** The report as plain data. */
  toJSON(): RunReportData {
    return {
      nodes: this.nodes,
      edges: this.edges,
      backend: this.backend,
      startedAt: this.startedAt,
      durationMs: this.durationMs,
    };
  }
}

/** report/: what a run did, per node and why, as data and as text, Markdown and Mermaid. */
export {
  type MissReason,
  type NodeReport,
  type NodeStatus,
  RunReport,
  type RunReportData,
} from './report.ts';
export { formatCount, formatDuration } from './text.ts';
export type { RunRecord, RunSource, RunSummary } from './types.ts';

/** pipeline/: a DAG of memoized functions wired by name, validated when built, drawn as Mermaid or DOT, typed by its nodes. */
export type {
  OutputName,
  PipelineInputs,
  PipelineOutputs,
  PipelineResult,
  WiringError,
} from './inference.ts';
export { Pipeline, type PipelineEntry, type PipelineNode } from './pipeline.ts';

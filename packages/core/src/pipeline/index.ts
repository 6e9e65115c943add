/** pipeline/: a DAG of memoized functions wired by name, validated when built, drawn as Mermaid or DOT. */
export { Pipeline, type PipelineNode } from './pipeline.ts';

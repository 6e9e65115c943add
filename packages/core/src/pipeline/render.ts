import type { PipelineNode } from './pipeline.ts';

/**
 * The graph in Mermaid (`flowchart LR`): external inputs as stadiums, nodes as boxes, a node
 * mapped over an input labelled `name[]`. Ids are generated; names are quoted and escaped.
 */
export function renderMermaid(nodes: readonly PipelineNode[], inputs: readonly string[]): string {
  const ids = new Map<string, string>();
  const lines = ['flowchart LR'];
  for (const [i, name] of inputs.entries()) {
    ids.set(name, `i${i}`);
    lines.push(`  i${i}(["${mermaidText(name)}"])`);
  }
  for (const [i, node] of nodes.entries()) {
    ids.set(node.name, `n${i}`);
    lines.push(`  n${i}["${mermaidText(node.name)}${node.map === undefined ? '' : '[]'}"]`);
  }
  for (const [from, to] of inputEdges(nodes)) lines.push(`  ${ids.get(from)} --> ${ids.get(to)}`);
  return `${lines.join('\n')}\n`;
}

/** The graph in Graphviz DOT: inputs as dashed ellipses, nodes as boxes, mapped nodes as stacks. */
export function renderDot(nodes: readonly PipelineNode[], inputs: readonly string[]): string {
  const lines = ['digraph memoflow {', '  rankdir=LR;', '  node [shape=box];'];
  for (const name of inputs) lines.push(`  ${dotText(name)} [shape=ellipse, style=dashed];`);
  for (const node of nodes) {
    lines.push(
      node.map === undefined
        ? `  ${dotText(node.name)};`
        : `  ${dotText(node.name)} [label=${dotText(`${node.name}[]`)}, shape=box3d];`,
    );
  }
  for (const [from, to] of inputEdges(nodes)) lines.push(`  ${dotText(from)} -> ${dotText(to)};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Edges from every input (external or produced) to the nodes taking it, by consumer in order. */
function inputEdges(nodes: readonly PipelineNode[]): [string, string][] {
  const edges: [string, string][] = [];
  for (const node of nodes) for (const input of new Set(node.inputs)) edges.push([input, node.name]);
  return edges;
}

/**
 * Mermaid label text: entity codes for what would end the quoted label, start an entity, turn on
 * markdown or read as HTML; line breaks as spaces.
 */
export function mermaidText(name: string): string {
  return name.replace(/[#"`<>&]|[\r\n]/g, (char) =>
    char === '\r' || char === '\n' ? ' ' : `#${char.charCodeAt(0)};`,
  );
}

/** A DOT quoted string; a line break becomes DOT's own `\n`. */
function dotText(name: string): string {
  return `"${name.replace(/["\\]/g, '\\$&').replace(/\r?\n|\r/g, '\\n')}"`;
}

import { mermaidText } from '../util/index.ts';

/** What a picture shows of a node: its name, what it takes, and whether it is mapped. */
export interface GraphNode {
  name: string;
  inputs: readonly string[];
  map?: string;
}

/**
 * The graph in Mermaid (`flowchart LR`): external inputs as stadiums, nodes as boxes, a node
 * mapped over an input labelled `name[]`. Ids are generated; names are quoted and escaped.
 */
export function renderMermaid(nodes: readonly GraphNode[], inputs: readonly string[]): string {
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
export function renderDot(nodes: readonly GraphNode[], inputs: readonly string[]): string {
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
function inputEdges(nodes: readonly GraphNode[]): [string, string][] {
  const edges: [string, string][] = [];
  for (const node of nodes) for (const input of new Set(node.inputs)) edges.push([input, node.name]);
  return edges;
}

/** A DOT quoted string; a line break becomes DOT's own `\n`. */
function dotText(name: string): string {
  return `"${name.replace(/["\\]/g, '\\$&').replace(/\r?\n|\r/g, '\\n')}"`;
}

/**
 * The pipeline laid out as a graph by dagre, left to right: once per server, before the first
 * page asks, so a page only draws.
 */
import * as dagre from '@dagrejs/dagre';
import type { Pipeline } from '@memoflow/core';
import type { GraphBox, GraphData, GraphEdge } from './types.ts';

/** Box heights: a node shows its name and a line of time and size; an input, its name. */
const NODE_HEIGHT = 46;
const INPUT_HEIGHT = 28;

/**
 * Above this many boxes, ranks come from dagre's longest-path ranker: its default (network
 * simplex) draws shorter edges but took 37 s on a layered graph of 1,000 nodes, longest-path 1 s.
 */
const NETWORK_SIMPLEX_LIMIT = 300;

/** The pipeline's nodes and external inputs as boxes, and their edges as routed lines. */
export function layOut(pipeline: Pipeline, label: string): GraphData {
  const graph = new dagre.graphlib.Graph({ multigraph: false });
  const boxCount = pipeline.nodes.length + pipeline.inputs.length;
  graph.setGraph({
    rankdir: 'LR',
    nodesep: 16,
    ranksep: 56,
    marginx: 16,
    marginy: 16,
    ranker: boxCount > NETWORK_SIMPLEX_LIMIT ? 'longest-path' : 'network-simplex',
  });
  graph.setDefaultEdgeLabel(() => ({}));
  // Ids, not names: the layout keys its nodes by string, and a node may be called `__proto__`.
  const ids = new Map<string, string>();
  const boxes: GraphBox[] = [];
  const add = (name: string, kind: GraphBox['kind'], map?: string) => {
    const id = `${kind === 'input' ? 'i' : 'n'}${ids.size}`;
    ids.set(name, id);
    const box: GraphBox = { name, kind, x: 0, y: 0, width: widthOf(name, map), height: 0 };
    box.height = kind === 'input' ? INPUT_HEIGHT : NODE_HEIGHT;
    if (map !== undefined) box.map = map;
    boxes.push(box);
    graph.setNode(id, { width: box.width, height: box.height });
  };
  for (const input of pipeline.inputs) add(input, 'input');
  for (const node of pipeline.nodes) add(node.name, 'node', node.map);
  const pairs: [string, string][] = [];
  for (const node of pipeline.nodes) {
    for (const input of new Set(node.inputs)) {
      pairs.push([input, node.name]);
      graph.setEdge(ids.get(input)!, ids.get(node.name)!);
    }
  }
  dagre.layout(graph);
  for (const box of boxes) {
    const placed = graph.node(ids.get(box.name)!);
    box.x = Math.round(placed.x);
    box.y = Math.round(placed.y);
  }
  const edges: GraphEdge[] = pairs.map(([from, to]) => ({
    from,
    to,
    points: (graph.edge(ids.get(from)!, ids.get(to)!)?.points ?? []).map(
      (point: { x: number; y: number }) => [Math.round(point.x), Math.round(point.y)] as [number, number],
    ),
  }));
  const size = graph.graph();
  return {
    pipeline: label,
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    boxes,
    edges,
  };
}

/**
 * Wide enough for the name (and `[]` of a mapped node) in the page's 13 px font, and for the line
 * of state, time and size under it (a mapped node's also has its item counts).
 */
function widthOf(name: string, map: string | undefined): number {
  const characters = name.length + (map === undefined ? 0 : 2);
  const least = map === undefined ? 150 : 190;
  return Math.min(260, Math.max(least, Math.round(characters * 7.6) + 28));
}

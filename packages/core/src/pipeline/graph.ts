/**
 * Graph algorithms over nodes numbered 0..n-1, each given by its predecessors (the nodes whose
 * output it takes). Iterative and linear in nodes + edges: a pipeline may have 100,000 nodes,
 * far deeper than the call stack.
 */

/** `predecessors[i]`: the nodes node `i` takes an output from. */
export type Predecessors = readonly (readonly number[])[];

/** A topological order (producers first), or a cycle when there is none. */
export type TopologicalResult =
  | { order: number[]; cycle?: undefined }
  | { order?: undefined; cycle: number[] };

const UNSEEN = 0;
const ON_PATH = 1;
const DONE = 2;

/**
 * A topological order that keeps the given numbering wherever the dependencies allow: each node
 * comes right after whatever of its ancestors was not placed yet, so nodes listed producers-first
 * keep their order exactly. Otherwise the first cycle found, in data-flow order with its first
 * node repeated at the end (`[a, b, c, a]`: a feeds b, b feeds c, c feeds a), started at its
 * lowest-numbered node.
 */
export function topologicalOrder(predecessors: Predecessors): TopologicalResult {
  const count = predecessors.length;
  const state = new Uint8Array(count);
  // Per node: how many of its predecessors the walk has looked at; where it sits on the path.
  const cursor = new Int32Array(count);
  const pathIndex = new Int32Array(count);
  const path = new Int32Array(count);
  const order: number[] = [];
  for (let root = 0; root < count; root++) {
    if (state[root] !== UNSEEN) continue;
    let depth = 0;
    path[depth++] = root;
    state[root] = ON_PATH;
    pathIndex[root] = 0;
    while (depth > 0) {
      const node = path[depth - 1]!;
      const inputs = predecessors[node]!;
      const next = cursor[node]!;
      if (next < inputs.length) {
        cursor[node] = next + 1;
        const producer = inputs[next]!;
        if (state[producer] === UNSEEN) {
          state[producer] = ON_PATH;
          pathIndex[producer] = depth;
          path[depth++] = producer;
        } else if (state[producer] === ON_PATH) {
          return { cycle: spellCycle(path.subarray(pathIndex[producer]!, depth)) };
        }
      } else {
        state[node] = DONE;
        order.push(node);
        depth--;
      }
    }
  }
  return { order };
}

/**
 * The walk goes from consumer to producer, so the path segment reads against the data flow:
 * reverse it, then rotate it to start at its lowest-numbered node so the same cycle is always
 * spelled the same way.
 */
function spellCycle(segment: Int32Array): number[] {
  const flow = Array.from(segment).reverse();
  let start = 0;
  for (let i = 1; i < flow.length; i++) if (flow[i]! < flow[start]!) start = i;
  const cycle = [...flow.slice(start), ...flow.slice(0, start)];
  cycle.push(cycle[0]!);
  return cycle;
}

/** Marks `targets` and every node they take an output from, directly or through others. */
export function ancestors(predecessors: Predecessors, targets: Iterable<number>): Uint8Array {
  const marked = new Uint8Array(predecessors.length);
  const pending: number[] = [];
  for (const target of targets) {
    if (marked[target]) continue;
    marked[target] = 1;
    pending.push(target);
  }
  while (pending.length > 0) {
    for (const producer of predecessors[pending.pop()!]!) {
      if (marked[producer]) continue;
      marked[producer] = 1;
      pending.push(producer);
    }
  }
  return marked;
}

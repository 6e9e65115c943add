import { ConfigError, quote } from '../errors.ts';
import { type AnyFunction, MEMO, type Memoized, memoOf } from '../memo/index.ts';
import { cycleError, duplicateError, mapError, unknownOutputsError } from './errors.ts';
import { ancestors, topologicalOrder } from './graph.ts';
import type { CheckedEntries } from './inference.ts';
import { renderDot, renderMermaid } from './render.ts';
import type { PipelineNode } from './types.ts';

export type { PipelineNode } from './types.ts';

/** What a Pipeline is built from: memoized functions (from `func()`), and pipelines, whose nodes are all included. */
export type PipelineEntry = Memoized<AnyFunction, string, unknown, unknown> | Pipeline<any>;

/**
 * A DAG of memoized functions, wired by name: a node takes, for each of its parameters, the
 * output of the node of that name; parameters no node produces are the pipeline's external
 * inputs. Checked when constructed: two nodes producing one name, a cycle, or a `map` over a
 * name the node does not take is an error that names the nodes and the fix.
 *
 * @example
 * const load = func({ output: 'rows' }, async (path: string) => readRows(path));
 * const clean = func({ output: 'clean' }, (rows: Row[], threshold: number) => rows.filter(…));
 * const score = func({ output: 'scores', map: 'clean' }, (clean: Row) => expensive(clean));
 * const pipeline = new Pipeline([load, clean, score]);
 * pipeline.inputs; // ['path', 'threshold']
 * pipeline.plan(['clean']).map((node) => node.name); // ['rows', 'clean']
 * console.log(pipeline.toMermaid());
 *
 * Typed by its nodes' types (`Entries`): a Runner's run returns its outputs typed and requires
 * its inputs (see `PipelineOutputs`, `PipelineInputs`), and a node whose parameter type does not
 * accept its producer's return type does not compile.
 */
export class Pipeline<const Entries extends readonly PipelineEntry[] = readonly PipelineEntry[]> {
  /** Type only, never set: the entries the pipeline was built from, which its types are read from. */
  declare readonly '~nodes'?: Entries;
  /** Every node, in a topological order (producers before consumers). */
  readonly nodes: readonly PipelineNode[];
  /** External inputs: names some node takes that no node produces, sorted. */
  readonly inputs: readonly string[];
  /** Every output name (= node name), in topological order. */
  readonly outputs: readonly string[];
  /** The outputs no node takes: the pipeline's results, what a run returns by default. */
  readonly finalOutputs: readonly string[];
  /** The nodes as listed (pipelines flattened, repeats dropped): the graph's numbering. */
  readonly #listed: readonly PipelineNode[];
  /** Output name → listed index of its node. */
  readonly #byName: ReadonlyMap<string, number>;
  /** Listed index → listed indices of the nodes it takes an output from, each once. */
  readonly #predecessors: readonly (readonly number[])[];
  /** Topological position → listed index. */
  readonly #order: readonly number[];
  /** Plans by requested outputs, and edges by plan: a pipeline never changes, so neither do they. */
  readonly #plans = new Map<string, readonly PipelineNode[]>();
  readonly #edges = new WeakMap<readonly PipelineNode[], [string, string][]>();
  readonly #external = new WeakMap<readonly PipelineNode[], [string, string[]][]>();

  /**
   * @param nodes Memoized functions (from `func()`) and pipelines, whose nodes are all included.
   * The same memoized function listed more than once, directly or through pipelines, is one node.
   */
  constructor(nodes: CheckedEntries<Entries>) {
    if (!Array.isArray(nodes)) {
      throw new TypeError(
        `Expected \`nodes\` to be an array of memoized functions or pipelines, got ${quote(nodes)}: call \`new Pipeline([load, clean])\`.`,
      );
    }
    const listed = collectNodes(nodes);
    const byName = new Map<string, number>();
    for (let i = 0; i < listed.length; i++) {
      const node = listed[i]!;
      const other = byName.get(node.name);
      if (other !== undefined) throw duplicateError(listed[other]!, node);
      byName.set(node.name, i);
      if (node.map !== undefined && !node.inputs.includes(node.map)) throw mapError(node);
    }

    const predecessors: number[][] = [];
    const external = new Set<string>();
    for (const node of listed) {
      const producers: number[] = [];
      for (const input of node.inputs) {
        const producer = byName.get(input);
        if (producer === undefined) external.add(input);
        else if (!producers.includes(producer)) producers.push(producer);
      }
      predecessors.push(producers);
    }
    const sorted = topologicalOrder(predecessors);
    if (sorted.cycle) throw cycleError(sorted.cycle.map((i) => listed[i]!));

    this.#listed = listed;
    this.#byName = byName;
    this.#predecessors = predecessors;
    this.#order = sorted.order;
    this.nodes = Object.freeze(sorted.order.map((i) => listed[i]!));
    this.outputs = Object.freeze(this.nodes.map((node) => node.name));
    const consumed = new Set(this.nodes.flatMap((node) => node.inputs));
    this.finalOutputs = Object.freeze(this.outputs.filter((name) => !consumed.has(name)));
    this.inputs = Object.freeze([...external].sort());
  }

  /** The node producing `name`, if any. */
  producer(name: string): PipelineNode | undefined {
    const index = this.#byName.get(name);
    return index === undefined ? undefined : this.#listed[index];
  }

  /**
   * The nodes that computing `outputs` needs — the nodes producing them and their ancestors,
   * nothing else — in topological order. All nodes when `outputs` is omitted.
   * @throws ConfigError when a name is not an output of this pipeline, listing the outputs.
   */
  plan(outputs?: readonly string[]): readonly PipelineNode[] {
    if (outputs === undefined) return this.nodes;
    const cacheKey = outputs.join('\0');
    const cached = this.#plans.get(cacheKey);
    if (cached) return cached;
    const targets: number[] = [];
    const unknown: string[] = [];
    for (const name of outputs) {
      const index = this.#byName.get(name);
      if (index === undefined) unknown.push(name);
      else targets.push(index);
    }
    if (unknown.length > 0) throw unknownOutputsError(unknown, this.inputs, this.outputs);
    const needed = ancestors(this.#predecessors, targets);
    const plan: PipelineNode[] = [];
    for (const index of this.#order) if (needed[index] === 1) plan.push(this.#listed[index]!);
    Object.freeze(plan);
    this.#plans.set(cacheKey, plan);
    return plan;
  }

  /**
   * For `nodes` (a plan), the inputs that no node of `nodes` produces and `provided` lacks,
   * each with the names of the nodes needing it (in the order of `nodes`); undefined when none is
   * missing. Names are sorted.
   * @example
   * pipeline.missingInputs(pipeline.plan(), new Set(['path'])); // { threshold: ['clean'] }
   */
  missingInputs(
    nodes: readonly PipelineNode[],
    provided: ReadonlySet<string>,
  ): Record<string, string[]> | undefined {
    const missing: [string, string[]][] = [];
    for (const [input, needing] of this.#externalInputsOf(nodes))
      if (!provided.has(input)) missing.push([input, needing]);
    return missing.length === 0 ? undefined : Object.fromEntries(missing);
  }

  /** The inputs `nodes` take that none of them produces → the nodes needing each, sorted; once per plan. */
  #externalInputsOf(nodes: readonly PipelineNode[]): [string, string[]][] {
    let external = this.#external.get(nodes);
    if (external) return external;
    const produced = new Set(nodes.map((node) => node.name));
    const needing = new Map<string, string[]>();
    for (const node of nodes) {
      for (const input of new Set(node.inputs)) {
        if (produced.has(input)) continue;
        const list = needing.get(input);
        if (!list) needing.set(input, [node.name]);
        else if (list.at(-1) !== node.name) list.push(node.name);
      }
    }
    external = [...needing].sort(([a], [b]) => compareNames(a, b));
    this.#external.set(nodes, external);
    return external;
  }

  /**
   * `[upstream, downstream]` name pairs: one per node and each distinct node it takes an output
   * from, both among `nodes` (default: all), ordered by the downstream node's place in `nodes`.
   */
  edges(nodes: readonly PipelineNode[] = this.nodes): [string, string][] {
    let edges = this.#edges.get(nodes);
    if (!edges) {
      edges = this.#edgesOf(nodes);
      this.#edges.set(nodes, edges);
    }
    return edges;
  }

  #edgesOf(nodes: readonly PipelineNode[]): [string, string][] {
    const edges: [string, string][] = [];
    if (nodes === this.nodes) {
      for (const index of this.#order) {
        const consumer = this.#listed[index]!.name;
        for (const producer of this.#predecessors[index]!)
          edges.push([this.#listed[producer]!.name, consumer]);
      }
      return edges;
    }
    const included = new Set(nodes.map((node) => node.name));
    for (const node of nodes) {
      for (const input of new Set(node.inputs)) {
        if (included.has(input) && this.#byName.has(input)) edges.push([input, node.name]);
      }
    }
    return edges;
  }

  /**
   * The graph as a Mermaid flowchart, left to right: external inputs as stadiums, nodes as boxes,
   * a node mapped over an input labelled `name[]`. Ids are generated (`i0`, `n0`), and labels
   * quoted and entity-escaped, so any name renders.
   * @example
   * // flowchart LR
   * //   i0(["path"])
   * //   n0["rows"]
   * //   i0 --> n0
   */
  toMermaid(): string {
    return renderMermaid(this.nodes, this.inputs);
  }

  /**
   * The graph in Graphviz DOT, left to right: external inputs as dashed ellipses, nodes as boxes,
   * a node mapped over an input drawn as a stack (`box3d`) labelled `name[]`. Names are quoted.
   */
  toDot(): string {
    return renderDot(this.nodes, this.inputs);
  }
}

/**
 * The nodes of the list in order, pipelines flattened; a memoized function met again (listed
 * twice, or shared by two composed pipelines) is skipped, so it stays one node.
 */
function collectNodes(entries: readonly unknown[]): PipelineNode[] {
  const nodes: PipelineNode[] = [];
  const seen = new Set<unknown>();
  const add = (node: PipelineNode) => {
    if (seen.has(node.fn)) return;
    seen.add(node.fn);
    nodes.push(node);
  };
  for (const [i, entry] of entries.entries()) {
    if (entry instanceof Pipeline) {
      for (const node of entry.nodes) add(node);
    } else if (typeof entry === 'function' && MEMO in entry) {
      if (!seen.has(entry)) add(toNode(entry as unknown as Memoized<(...args: any[]) => any>));
    } else {
      throw new ConfigError(
        `Pipeline node ${i + 1} of ${entries.length} is ${quote(entry)}, not a memoized function or a Pipeline: wrap a function with \`func({ output: '…' }, fn)\` before listing it.`,
      );
    }
  }
  return nodes;
}

function toNode(fn: Memoized<(...args: any[]) => any>): PipelineNode {
  const { name, inputs, style, map, location } = memoOf(fn).nodeInfo();
  const node: PipelineNode = { name, inputs: Object.freeze(inputs) as string[], style, fn };
  if (map !== undefined) node.map = map;
  if (location !== undefined) node.location = location;
  // Frozen: one node object is shared by every pipeline that composes it.
  return Object.freeze(node);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

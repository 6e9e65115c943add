import { ancestors, topologicalOrder } from './_graph.ts';
import type { Memo, NodeInfo } from './_memo.ts';
import { ConfigError, CycleError, DuplicateOutputError, quote } from './errors.ts';
import { MEMO, type Memoized } from './func.ts';

/** A node of a Pipeline: how a memoized function is wired, and the function itself. */
export interface PipelineNode extends NodeInfo {
  /** The memoized function. */
  fn: Memoized<(...args: any[]) => any>;
}

/** How many names an error message lists before it says how many more there are. */
const LISTED_NAMES = 20;

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
 */
export class Pipeline {
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
  constructor(nodes: readonly (Memoized<(...args: any[]) => any> | Pipeline)[]) {
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
    if (unknown.length > 0) throw this.#unknownOutputsError(unknown);
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
    const inputIds = new Map(this.inputs.map((name, i) => [name, `i${i}`]));
    const nodeIds = new Map(this.outputs.map((name, position) => [name, `n${position}`]));
    const idOf = (name: string) => (inputIds.get(name) ?? nodeIds.get(name))!;
    const lines = ['flowchart LR'];
    for (const [name, id] of inputIds) lines.push(`  ${id}(["${mermaidText(name)}"])`);
    for (const [position, node] of this.nodes.entries()) {
      lines.push(`  n${position}["${mermaidText(node.name)}${node.map === undefined ? '' : '[]'}"]`);
    }
    for (const [from, to] of this.#allEdges()) lines.push(`  ${idOf(from)} --> ${idOf(to)}`);
    return `${lines.join('\n')}\n`;
  }

  /**
   * The graph in Graphviz DOT, left to right: external inputs as dashed ellipses, nodes as boxes,
   * a node mapped over an input drawn as a stack (`box3d`) labelled `name[]`. Names are quoted.
   */
  toDot(): string {
    const lines = ['digraph memoflow {', '  rankdir=LR;', '  node [shape=box];'];
    for (const name of this.inputs) lines.push(`  ${dotText(name)} [shape=ellipse, style=dashed];`);
    for (const node of this.nodes) {
      lines.push(
        node.map === undefined
          ? `  ${dotText(node.name)};`
          : `  ${dotText(node.name)} [label=${dotText(`${node.name}[]`)}, shape=box3d];`,
      );
    }
    for (const [from, to] of this.#allEdges()) lines.push(`  ${dotText(from)} -> ${dotText(to)};`);
    lines.push('}');
    return `${lines.join('\n')}\n`;
  }

  /** Edges from external inputs and from nodes, by consumer in topological order. */
  #allEdges(): [string, string][] {
    const edges: [string, string][] = [];
    for (const node of this.nodes) {
      for (const input of new Set(node.inputs)) edges.push([input, node.name]);
    }
    return edges;
  }

  #unknownOutputsError(unknown: string[]): ConfigError {
    const inputs = new Set(this.inputs);
    const names = unknown.map((name) => `\`${name}\`${inputs.has(name) ? ' (an input, not an output)' : ''}`);
    const known = this.outputs.length === 0 ? 'it has none' : `they are ${listNames(this.outputs)}`;
    return new ConfigError(
      `Unknown output${unknown.length > 1 ? 's' : ''} ${names.join(', ')}: ask for outputs this pipeline produces; ${known}.`,
    );
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

function memoOf(fn: Memoized<(...args: any[]) => any>): Memo {
  return (fn as unknown as { [MEMO]: Memo })[MEMO];
}

function toNode(fn: Memoized<(...args: any[]) => any>): PipelineNode {
  const { name, inputs, style, map, location } = memoOf(fn).nodeInfo();
  const node: PipelineNode = { name, inputs: Object.freeze(inputs) as string[], style, fn };
  if (map !== undefined) node.map = map;
  if (location !== undefined) node.location = location;
  // Frozen: one node object is shared by every pipeline that composes it.
  return Object.freeze(node);
}

function duplicateError(first: PipelineNode, second: PipelineNode): DuplicateOutputError {
  // Both nodes have the same name, so they are told apart by the names they were declared under.
  const nodes = [first, second].map((node) => withLocation(declaredName(node.fn) ?? node.name, node));
  const [a, b] = [first, second].map((node) =>
    withLocation(`\`${declaredName(node.fn) ?? node.name}\``, node),
  );
  return new DuplicateOutputError(
    first.name,
    nodes,
    `Two nodes produce \`${first.name}\`: ${a} and ${b}. Each output name must have one producer: give one of them another name with the \`output\` option, e.g. \`func({ output: '${first.name}2' }, fn)\`.`,
  );
}

function mapError(node: PipelineNode): ConfigError {
  const inputs = node.inputs.length === 0 ? 'it takes none' : `it takes ${listNames(node.inputs)}`;
  return new ConfigError(
    `Node ${describe(node)} maps over \`${node.map}\`, which is not one of its inputs (${inputs}): set \`map\` to the name of the array input to map over.`,
  );
}

function cycleError(cycle: PipelineNode[]): CycleError {
  const names = cycle.map((node) => node.name);
  // A cycle through thousands of nodes is spelled by its ends, so the message stays readable.
  const spelled =
    names.length > 2 * LISTED_NAMES
      ? [
          ...names.slice(0, LISTED_NAMES),
          `… (${names.length - 2 * LISTED_NAMES} more)`,
          ...names.slice(-LISTED_NAMES),
        ].join(' → ')
      : names.join(' → ');
  const located = cycle
    .slice(0, Math.min(cycle.length - 1, LISTED_NAMES))
    .filter((node) => node.location !== undefined)
    .map((node) => `\`${node.name}\` at ${shortLocation(node.location!)}`);
  if (cycle.length - 1 > LISTED_NAMES) located.push('…');
  const how =
    cycle.length === 2
      ? `\`${names[0]}\` takes its own output`
      : 'each node takes the output of the one before it';
  return new CycleError(
    names,
    `Pipeline has a cycle: ${spelled} (${how}${located.length > 0 ? `; ${located.join(', ')}` : ''}). A node cannot take its own output, directly or through other nodes: rename an input or an output to break the cycle.`,
  );
}

/** A node for messages: its name in backticks, and where it was wrapped. */
function describe(node: PipelineNode): string {
  return withLocation(`\`${node.name}\``, node);
}

function withLocation(label: string, node: PipelineNode): string {
  return node.location === undefined ? label : `${label} (${shortLocation(node.location)})`;
}

/** The name the function was declared or assigned under (`const load = func(…)` → `load`), if any. */
function declaredName(fn: Memoized<(...args: any[]) => any>): string | undefined {
  try {
    return memoOf(fn).prepare().analysis.declaredName ?? (fn.name || undefined);
  } catch {
    return fn.name || undefined;
  }
}

function shortLocation(location: string): string {
  const cwd = `${process.cwd()}/`;
  return location.startsWith(cwd) ? location.slice(cwd.length) : location;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((name) => `\`${name}\``);
  if (names.length > LISTED_NAMES) shown.push(`and ${names.length - LISTED_NAMES} more`);
  return shown.join(', ');
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Mermaid label text: entity codes for what would end the quoted label, start an entity, turn on
 * markdown or read as HTML; line breaks as spaces.
 */
function mermaidText(name: string): string {
  return name.replace(/[#"`<>&]|[\r\n]/g, (char) =>
    char === '\r' || char === '\n' ? ' ' : `#${char.charCodeAt(0)};`,
  );
}

/** A DOT quoted string; a line break becomes DOT's own `\n`. */
function dotText(name: string): string {
  return `"${name.replace(/["\\]/g, '\\$&').replace(/\r?\n|\r/g, '\\n')}"`;
}

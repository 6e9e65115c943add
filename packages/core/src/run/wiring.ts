import type { PipelineNode } from '../pipeline/index.ts';

/** How one node of a plan is fed: the same for every run of the plan, so it is built once per plan. */
export interface NodeWiring {
  /** Plan position of the node producing each input, aligned with `node.inputs`; -1 for an external input. */
  producers: number[];
  /** How many of the inputs upstream nodes produce: what the node waits for. */
  upstreamCount: number;
  /** Plan positions of the nodes taking this node's output. */
  children: number[];
  /** Hashed (not `ignore`d) inputs produced upstream; without the mapped input, for keys per item. */
  deps: string[];
  depsPerItem: string[];
  /** Hashed inputs the run's inputs provide; without the mapped input, for keys per item. */
  external: string[];
  externalPerItem: string[];
}

const wirings = new WeakMap<readonly PipelineNode[], NodeWiring[]>();

/** The wiring of every node of a plan (plans are cached by their pipeline, so this is built once per plan). */
export function wiringOf(plan: readonly PipelineNode[]): NodeWiring[] {
  let wiring = wirings.get(plan);
  if (!wiring) {
    wiring = build(plan);
    wirings.set(plan, wiring);
  }
  return wiring;
}

function build(plan: readonly PipelineNode[]): NodeWiring[] {
  const positions = new Map<string, number>();
  for (let i = 0; i < plan.length; i++) positions.set(plan[i]!.name, i);
  const wiring: NodeWiring[] = plan.map(() => ({
    producers: [],
    upstreamCount: 0,
    children: [],
    deps: [],
    depsPerItem: [],
    external: [],
    externalPerItem: [],
  }));
  for (let i = 0; i < plan.length; i++) {
    const node = plan[i]!;
    const own = wiring[i]!;
    const ignored = new Set(node.fn.options.ignore ?? []);
    for (const input of node.inputs) {
      const producer = positions.get(input) ?? -1;
      own.producers.push(producer);
      if (producer !== -1) {
        own.upstreamCount++;
        wiring[producer]!.children.push(i);
      }
      if (ignored.has(input)) continue;
      const [all, perItem] =
        producer === -1 ? [own.external, own.externalPerItem] : [own.deps, own.depsPerItem];
      all.push(input);
      if (input !== node.map) perItem.push(input);
    }
  }
  return wiring;
}

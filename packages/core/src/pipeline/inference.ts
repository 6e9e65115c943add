/**
 * What a Pipeline's type knows of its nodes, read from their types (see `Memoized`): its outputs
 * and their types, the inputs a run needs, the outputs a run returns, and wiring mistakes (a
 * parameter type that does not accept its producer's return type). Types only.
 *
 * What the types cannot see, they leave loose, never wrong. A node whose output name is not one
 * literal (no `output`, a `string`, a pattern such as `` `step${number}` ``) adds a `string` index
 * to the outputs and makes every input optional, since it may produce any of them. A node whose
 * input names are not visible (positional parameters without `inputs`) lets a run take any other
 * input. Either makes a run's default outputs `Partial`: which outputs no node takes is unknown.
 */
import type { IsLiteralName, NodeTypes } from '../memo/index.ts';

/** Any node's types. */
type AnyNode = NodeTypes<string, unknown, unknown>;

/** The node types of an entry (a memoized function, or a pipeline: its nodes), as a union. */
type NodesOf<Entry> = 0 extends 1 & Entry
  ? AnyNode
  : Entry extends { readonly node: string; readonly '~node'?: infer Types }
    ? Extract<Types, AnyNode>
    : Entry extends { readonly nodes: readonly unknown[]; readonly '~nodes'?: infer Entries }
      ? 0 extends 1 & Entries
        ? AnyNode
        : Entries extends readonly unknown[]
          ? NodesOf<Entries[number]>
          : AnyNode
      : never;

type NodesOfPipeline<P> = P extends { readonly '~nodes'?: infer Entries }
  ? Entries extends readonly unknown[]
    ? NodesOf<Entries[number]>
    : AnyNode
  : AnyNode;

/** Nodes whose output name is a literal type. */
type Named<Node> = Node extends AnyNode ? (IsLiteralName<Node['output']> extends true ? Node : never) : never;
/** Nodes whose input names are known. */
type Typed<Node> = Node extends AnyNode ? (unknown extends Node['inputs'] ? never : Node) : never;

type Simplify<T> = { [Key in keyof T]: T[Key] } & {};
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** Output name → value, of every node (a node without a literal name adds a `string` index). */
type OutputsOfNodes<Nodes extends AnyNode> = { [Node in Nodes as Node['output']]: Node['value'] };

/** Input name → type, of the inputs of `Nodes` that no node of `All` with a literal name produces. */
type NeedsOfNodes<Nodes, All> = [Typed<Nodes>] extends [never]
  ? {}
  : Simplify<UnionToIntersection<NeedsOfNode<Typed<Nodes>, Named<All>['output']>>>;

type NeedsOfNode<Node, Produced> = Node extends AnyNode
  ? { [Name in keyof Node['inputs'] as Name extends Produced ? never : Name]: Node['inputs'][Name] }
  : never;

/** The names some node of `Nodes` takes. */
type Consumed<Nodes> = Nodes extends AnyNode ? keyof Nodes['inputs'] : never;

/** Output name → the names of its inputs, of the nodes whose names and inputs are known. */
type DependenciesOf<Nodes> = {
  [Node in Typed<Named<Nodes>> as Node['output']]: keyof Node['inputs'] & string;
};

/**
 * `Names` and every name they depend on, transitively: each step looks up only the names found
 * in the step before (tail-recursive, so a deep chain costs one step per node).
 */
type Closure<Names extends string, Dependencies, Found extends string = Names> = [
  Exclude<DependenciesOfNames<Names, Dependencies>, Found>,
] extends [never]
  ? Found
  : Closure<
      Exclude<DependenciesOfNames<Names, Dependencies>, Found>,
      Dependencies,
      Found | DependenciesOfNames<Names, Dependencies>
    >;

type DependenciesOfNames<Names extends string, Dependencies> = Names extends keyof Dependencies
  ? Dependencies[Names] & string
  : never;

type NodesProducing<Nodes, Names> = Nodes extends AnyNode
  ? Nodes['output'] extends Names
    ? Nodes
    : never
  : never;

type IsLoose<Nodes> = [Exclude<Nodes, Named<Nodes>>] extends [never] ? false : true;
type IsUntyped<Nodes> = [Exclude<Nodes, Typed<Nodes>>] extends [never] ? false : true;

/** Output name → the type of its value, for every output of pipeline `P`. */
export type PipelineOutputs<P> = Simplify<OutputsOfNodes<NodesOfPipeline<P>>>;

/** The names `runner.run(pipeline, inputs, { outputs })` accepts in `outputs`. */
export type OutputName<P> = keyof PipelineOutputs<P> & string;

/**
 * The inputs a run of `P` producing `Requested` (default: all its final outputs) needs: those of
 * the nodes the requested outputs depend on are required, the pipeline's other inputs optional.
 */
export type PipelineInputs<P, Requested extends string = never> = RunInputsOf<NodesOfPipeline<P>, Requested>;

type RunInputsOf<Nodes extends AnyNode, Requested extends string> =
  IsLoose<Nodes> extends true
    ? Simplify<Partial<NeedsOfNodes<Nodes, Nodes>> & Record<string, unknown>>
    : Simplify<
        ([Requested] extends [never]
          ? NeedsOfNodes<Nodes, Nodes>
          : NeedsOfNodes<NodesProducing<Nodes, Closure<Requested, DependenciesOf<Nodes>>>, Nodes>) &
          Partial<NeedsOfNodes<Nodes, Nodes>> &
          (IsUntyped<Nodes> extends true ? Record<string, unknown> : {})
      >;

/**
 * The `outputs` of a run of `P`: the `Requested` ones, or (none requested) its final outputs,
 * those no node takes — all of them `Partial` when some node's inputs or name are not typed.
 */
export type PipelineResult<P, Requested extends string = never> = [Requested] extends [never]
  ? FinalOutputsOf<NodesOfPipeline<P>>
  : Simplify<Pick<PipelineOutputs<P>, Requested & OutputName<P>>>;

type FinalOutputsOf<Nodes extends AnyNode> = true extends IsLoose<Nodes> | IsUntyped<Nodes>
  ? Partial<OutputsOfNodes<Nodes>>
  : Simplify<Pick<OutputsOfNodes<Nodes>, Exclude<Nodes['output'], Consumed<Typed<Nodes>>>>>;

/**
 * A wiring mistake, as a type: the message that stands in for a listed node whose parameter type
 * does not accept its producer's return type, so `new Pipeline([...])` fails to compile there.
 */
export type WiringError<
  Node extends string,
  Input extends string,
> = `Input \`${Input}\` of node \`${Node}\` does not accept the type node \`${Input}\` returns: make the parameter's type match the producer's return type.`;

/** The wiring mistakes of `Entry`'s nodes among all the nodes `All`, as messages; never when none. */
type WiringErrorsOf<Entry, All extends AnyNode> = NodeWiringErrors<
  Typed<NodesOf<Entry>>,
  OutputsOfNodes<Named<All>>
>;

type NodeWiringErrors<Node, Outputs> = Node extends AnyNode
  ? {
      [Name in keyof Node['inputs'] & keyof Outputs]: [Outputs[Name]] extends [Node['inputs'][Name]]
        ? never
        : WiringError<Node['output'], Name & string>;
    }[keyof Node['inputs'] & keyof Outputs]
  : never;

/**
 * `Entries`, an entry with wiring mistakes replaced by their messages: the constructor's parameter
 * type, so the mistake is reported at the node (for a listed pipeline, at the pipeline).
 */
export type CheckedEntries<Entries extends readonly unknown[]> = {
  [Index in keyof Entries]: [WiringErrorsOf<Entries[Index], NodesOf<Entries[number]>>] extends [never]
    ? Entries[Index]
    : WiringErrorsOf<Entries[Index], NodesOf<Entries[number]>>;
};

/**
 * A node's key for one run, from its code hash, its env hash, the inputs it hashes (external
 * inputs or the `key` function's result, a mapped item, captures) and the output hashes of the
 * upstream nodes it reads: same upstream bytes, same key (early cutoff). The env and upstream
 * parts are derived once a run; a repeated run reuses the last key when nothing it came from changed.
 */
import type { Memo, Prepared } from '../memo/index.ts';
import type { PipelineNode } from '../pipeline/index.ts';
import { composeKey, depsHashOf, encodeInputs, hashValue, type InputEncoding } from '../signature/index.ts';
import type { MapItem, NodeSignatureParts, RunContext } from './types.ts';
import type { NodeWiring } from './wiring.ts';

/** The inputs of a node that takes nothing but upstream outputs: always the same empty encoding. */
const NO_INPUTS = { values: [] as unknown[], labels: [] as string[], encoding: encodeInputs('', [], []) };

/**
 * Derives the keys and signatures of one node in one run. NodeRun extends it: one object per
 * node and run, not two (a 10,000-node run makes 10,000 of them every time).
 */
export abstract class NodeKey {
  abstract get name(): string;
  abstract readonly node: PipelineNode;
  abstract readonly context: RunContext;
  abstract readonly wiring: NodeWiring;
  abstract readonly memo: Memo;
  abstract readonly prepared: Prepared;
  /** Items of a mapped input are keyed by content, each on its own. */
  abstract readonly perItem: boolean;
  /** The arguments of the node's function (what a `key` function is called with). */
  abstract args(overrides?: Record<string, unknown>): unknown[];
  /** The run producing input `name`, or undefined for an external input. */
  abstract producerOf(name: string): { outputHashOf(): string } | undefined;

  private environmentOfRun: { envHash: string; envParts: Record<string, string> } | undefined;
  private depsHashesOfRun: string[] | undefined;
  private depsHashOfRun: string | undefined;

  /**
   * The signature of this node for this run: code, env, the external inputs it hashes, and the
   * output hashes of the upstream nodes it reads (early cutoff: same upstream bytes, same key).
   * With `item`, the mapped input is replaced by one item: a per-item signature.
   */
  signature(item?: MapItem): NodeSignatureParts {
    const { values, labels, encoding } = this.inputsOf(item);
    // fromEntries defines own properties: an input or upstream node named `__proto__` is a part like any other.
    const inputParts = Object.fromEntries(
      labels.map((label, i) => [label, hashValue(values[i], this.name, label)]),
    );
    const { envHash, envParts } = this.environment();
    const { codeHash, codeParts } = this.prepared.analysis;
    const hashes = this.depsHashes();
    const depsParts = Object.fromEntries(this.depsNames().map((name, i) => [name, hashes[i]!]));
    const inputsHash = encoding.digest();
    const depsHash = this.depsHash();
    const key = composeKey(codeHash, envHash, inputsHash, depsHash);
    return { key, codeHash, codeParts, envHash, envParts, inputsHash, inputParts, depsHash, depsParts };
  }

  /**
   * Only the key: what a lookup needs. A node remembers the key of its last run with the exact
   * env hash, upstream output hashes and input encoding it derives from; a repeated run compares
   * those (usually the very same strings) and computes no digest at all.
   */
  key(): string {
    const { prepared } = this;
    const { encoding } = this.inputsOf(undefined);
    const { envHash } = this.environment();
    const text = encoding.text;
    const last = prepared.lastRunKey;
    if (
      text !== undefined &&
      last &&
      last.envHash === envHash &&
      last.inputsText === text &&
      sameStrings(last.deps, this.depsHashes())
    ) {
      return last.key;
    }
    const key = composeKey(prepared.analysis.codeHash, envHash, encoding.digest(), this.depsHash());
    if (text !== undefined) prepared.lastRunKey = { envHash, inputsText: text, deps: this.depsHashes(), key };
    return key;
  }

  /** The key of one item of a mapped node, and its inputs (whose digest explains a miss). */
  itemKey(item: MapItem): { key: string; inputs: InputEncoding } {
    const { encoding } = this.inputsOf(item);
    const key = composeKey(
      this.prepared.analysis.codeHash,
      this.environment().envHash,
      encoding.digest(),
      this.depsHash(),
    );
    return { key, inputs: encoding };
  }

  /** The code and env hashes of the node's keys (what a worker's must equal). */
  codeAndEnv(): { codeHash: string; envHash: string } {
    return { codeHash: this.prepared.analysis.codeHash, envHash: this.environment().envHash };
  }

  private environment() {
    const { context } = this;
    this.environmentOfRun ??= context.envHash
      ? { envHash: context.envHash, envParts: { envHash: context.envHash } }
      : this.memo.environment(this.prepared, context.env);
    return this.environmentOfRun;
  }

  /** The hashed inputs that upstream nodes produce (the mapped one excluded when items are keyed by content). */
  private depsNames(): string[] {
    return this.perItem ? this.wiring.depsPerItem : this.wiring.deps;
  }

  private depsHashes(): string[] {
    if (!this.depsHashesOfRun) {
      const names = this.depsNames();
      const hashes: string[] = new Array(names.length);
      for (let i = 0; i < names.length; i++) hashes[i] = this.producerOf(names[i]!)!.outputHashOf();
      this.depsHashesOfRun = hashes;
    }
    return this.depsHashesOfRun;
  }

  private depsHash(): string {
    if (this.depsHashOfRun === undefined) {
      const hashes = this.depsHashes();
      this.depsHashOfRun = depsHashOf(
        Object.fromEntries(this.depsNames().map((name, i) => [name, hashes[i]!])),
      );
    }
    return this.depsHashOfRun;
  }

  /** The values the inputs hash covers: external inputs (or the `key` function's result), the item, captures. */
  private inputsOf(item: MapItem | undefined) {
    const { options } = this.node.fn;
    const names = this.externalNames(item !== undefined);
    if (names.length === 0 && !item && !options.key && !options.captures) return NO_INPUTS;
    let labels = [...names];
    let values: unknown[] = labels.map((name) => this.context.inputs[name]);
    if (options.key) {
      values = [options.key(...this.args(item && { [item.name]: item.value }))];
      labels = ['key'];
    }
    if (item) {
      values.push(item.value);
      labels.push(item.name);
    }
    if (options.captures) {
      values.push(options.captures);
      labels.push('captures');
    }
    const paths = labels.map((label) => `inputs.${label}`);
    return { values, labels, encoding: encodeInputs(this.name, values, labels, paths) };
  }

  /** The hashed inputs the run's inputs provide (not upstream nodes); per item, the mapped one is left out. */
  private externalNames(perItem: boolean): string[] {
    return perItem ? this.wiring.externalPerItem : this.wiring.external;
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

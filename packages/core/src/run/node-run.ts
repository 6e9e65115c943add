import type { LimitFunction } from 'p-limit';
import type { CacheBackend, NodeSignature } from '../backends/contract.ts';
import { NodeFailedError } from '../errors.ts';
import { defaultBackend, type Memo, memoOf, type Prepared, storeResult } from '../memo/index.ts';
import type { PipelineNode } from '../pipeline/index.ts';
import type { MissReason, NodeReport } from '../report/index.ts';
import { decodeEntry, encodeEntry, MISS } from '../serializer/index.ts';
import { composeKey, depsHashOf, encodeInputs, hashValue, type InputEncoding } from '../signature/index.ts';
import { hash } from '../util/index.ts';
import { explainMiss, type SignatureParts } from './miss-reasons.ts';
import type { Executor } from './remote/task.ts';
import type { NodeWiring } from './wiring.ts';

/** What every node of one run shares. */
export interface RunContext {
  /** The run's external inputs. */
  inputs: Record<string, unknown>;
  /** The runner's backend; undefined when the runner's cache is disabled. */
  backend: CacheBackend | undefined;
  /** Replaces every node's env hash, when set. */
  envHash: string | undefined;
  /** Environment variable names that count in every node's env hash. */
  env: readonly string[];
  dependencyDepth: number | undefined;
  perItemCaching: boolean;
  /** Bounds how many computations run at once (here: an executor's workers bound their own). */
  limit: LimitFunction;
  /** Where misses of nodes using `backend` are computed; undefined: here. */
  executor: Executor | undefined;
  /** Aborts when the run stops (failed or aborted): tasks not started yet are withdrawn. */
  cancel: AbortSignal;
}

/** A node's signature for this run, before it is known whether it hits. */
export interface NodeSignatureParts extends SignatureParts {
  envParts: Record<string, string>;
  inputParts: Record<string, string>;
  depsParts: Record<string, string>;
}

/** The inputs of a node that takes nothing but upstream outputs: always the same empty encoding. */
const NO_INPUTS = { values: [] as unknown[], labels: [] as string[], encoding: encodeInputs('', [], []) };

/** The value of a node a worker computed and nothing in this process reads. */
const IN_CACHE: unique symbol = Symbol('memoflow.inCache');

/** One item of a mapped input: the input's name and the item. */
export interface MapItem {
  name: string;
  value: unknown;
}

/** One node's state in a run: wiring, cache mode, result, report. */
export class NodeRun {
  readonly memo: Memo;
  readonly prepared: Prepared;
  /** Upstream nodes not finished yet. */
  waiting: number;
  readonly backend: CacheBackend | undefined;
  readonly reads: boolean;
  readonly writes: boolean;
  /** A mapped node cached item by item: its items are hashed by content, not as one upstream value. */
  readonly perItem: boolean;
  readonly report: NodeReport;
  /** Whether the run returns this node's value (else only its children may need it). */
  wanted = true;
  /** The produced value and its content hash, once there is one. */
  private value: unknown;
  private outputHash: string | undefined;

  constructor(
    readonly node: PipelineNode,
    readonly context: RunContext,
    /** How the node is fed, by plan position. */
    readonly wiring: NodeWiring,
    /** Every node run of this run, by plan position (filled in plan order: producers first). */
    private readonly runs: readonly NodeRun[],
  ) {
    this.waiting = wiring.upstreamCount;
    this.memo = memoOf(node.fn);
    this.prepared = this.memo.prepare(node.fn.options.dependencyDepth ?? context.dependencyDepth);
    this.report = { node: node.name, status: 'skipped', bytesRead: 0, bytesWritten: 0 };
    const { warnings } = this.prepared.analysis;
    if (warnings.length > 0) this.report.unseen = warnings;
    // A node's own `cache` option wins over the runner's.
    const own = node.fn.options.cache;
    if (own === undefined) this.backend = context.backend;
    else if (own === false) this.backend = undefined;
    else this.backend = typeof own === 'object' ? own : (context.backend ?? defaultBackend());
    this.reads = own !== 'recompute' && own !== 'write-only';
    this.writes = own !== 'read-only';
    this.perItem = node.map !== undefined && this.backend !== undefined && context.perItemCaching;
  }

  get name(): string {
    return this.node.name;
  }

  /** The arguments to call the node's function with, from upstream values and external inputs. */
  args(overrides?: Record<string, unknown>): unknown[] {
    const inputValue = (name: string) => {
      if (overrides && Object.hasOwn(overrides, name)) return overrides[name];
      const producer = this.producerOf(name);
      return producer ? producer.outputValue() : this.context.inputs[name];
    };
    if (this.node.style === 'object') {
      return [Object.fromEntries(this.node.inputs.map((name) => [name, inputValue(name)]))];
    }
    return this.node.inputs.map(inputValue);
  }

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
    const { encoding } = this.inputsOf(undefined);
    const { envHash } = this.environment();
    const text = encoding.text;
    const last = this.prepared.lastRunKey;
    if (
      text !== undefined &&
      last &&
      last.envHash === envHash &&
      last.inputsText === text &&
      sameStrings(last.deps, this.depsHashes())
    ) {
      return last.key;
    }
    const key = composeKey(this.prepared.analysis.codeHash, envHash, encoding.digest(), this.depsHash());
    if (text !== undefined)
      this.prepared.lastRunKey = { envHash, inputsText: text, deps: this.depsHashes(), key };
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

  private cachedEnvironment: { envHash: string; envParts: Record<string, string> } | undefined;
  private cachedDepsHashes: string[] | undefined;
  private cachedDepsHash: string | undefined;

  private environment() {
    this.cachedEnvironment ??= this.context.envHash
      ? { envHash: this.context.envHash, envParts: { envHash: this.context.envHash } }
      : this.memo.environment(this.prepared, this.context.env);
    return this.cachedEnvironment;
  }

  /** The hashed inputs that upstream nodes produce (the mapped one excluded when items are keyed by content). */
  private depsNames(): string[] {
    return this.perItem ? this.wiring.depsPerItem : this.wiring.deps;
  }

  private depsHashes(): string[] {
    if (!this.cachedDepsHashes) {
      const names = this.depsNames();
      const hashes: string[] = new Array(names.length);
      for (let i = 0; i < names.length; i++) hashes[i] = this.producerOf(names[i]!)!.outputHashOf();
      this.cachedDepsHashes = hashes;
    }
    return this.cachedDepsHashes;
  }

  private depsHash(): string {
    if (this.cachedDepsHash === undefined) {
      const hashes = this.depsHashes();
      this.cachedDepsHash = depsHashOf(
        Object.fromEntries(this.depsNames().map((name, i) => [name, hashes[i]!])),
      );
    }
    return this.cachedDepsHash;
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

  /** The runs taking this node's output. */
  children(): NodeRun[] {
    return this.wiring.children.map((position) => this.runs[position]!);
  }

  /** The run producing input `name`, or undefined for an external input. */
  producerOf(name: string): NodeRun | undefined {
    const position = this.wiring.producers[this.node.inputs.indexOf(name)];
    return position === undefined || position === -1 ? undefined : this.runs[position];
  }

  /** Looks the key up synchronously in an in-process backend: true when it hit. */
  peek(key: string): boolean {
    if (!this.backend?.peek || !this.reads) return false;
    const live = this.backend.peek(key);
    if (!live || live.outputHash === undefined) return false;
    this.setOutput(live.value, live.outputHash);
    this.hit(key, live.bytes?.length ?? 0, live.computeMs);
    return true;
  }

  /** Looks the key up in the backend: true when it hit. An entry that does not decode is a miss. */
  async lookup(key: string): Promise<boolean> {
    if (!this.backend || !this.reads) return false;
    const bytes = await this.backend.getBlob(key).catch(() => undefined);
    if (!bytes) return false;
    const value = decodeEntry(bytes, this.memo.serializer);
    if (value === MISS) return false;
    this.setOutput(value, hash(bytes));
    const meta = await this.backend.getMeta(this.name).catch(() => undefined);
    this.hit(key, bytes.length, meta?.key === key ? meta.computeMs : undefined);
    return true;
  }

  private hit(key: string, bytes: number, computeMs: number | undefined): void {
    const report = this.report;
    report.status = 'hit';
    report.key = key;
    report.bytesRead = bytes;
    report.savedMs = computeMs;
  }

  /** Computes the node (bounded by the run's limit), stores the result, and explains the miss. */
  async compute(signature: NodeSignatureParts | undefined): Promise<void> {
    if (signature) await this.noteMiss(signature);
    // Timed inside the limit: waiting for a free slot is not computing.
    let computeMs = 0;
    const value = await this.context.limit(async () => {
      const started = performance.now();
      try {
        return await this.invoke(this.args());
      } finally {
        computeMs = performance.now() - started;
      }
    });
    this.report.status = signature ? 'miss' : 'disabled';
    this.report.computeMs = computeMs;
    this.setOutput(value, undefined);
    if (signature && this.writes) await this.store(signature, value, computeMs);
  }

  /** Reports the key of a miss, and why it missed. */
  async noteMiss(signature: NodeSignatureParts): Promise<void> {
    const explained = await this.missReason(signature);
    Object.assign(this.report, { key: signature.key, reason: explained.reason });
    if (explained.changed.length > 0) this.report.changed = explained.changed;
  }

  /** Why the node misses under `signature`: compared with the last signature its backend recorded. */
  async missReason(signature: SignatureParts): Promise<{ reason: MissReason; changed: string[] }> {
    if (!this.reads) return { reason: 'recompute', changed: [] };
    const previous = await this.backend?.getMeta(this.name).catch(() => undefined);
    return explainMiss(previous, signature);
  }

  /** Calls the node's function; its error becomes a NodeFailedError with the error as `cause`. */
  async invoke(args: unknown[]): Promise<unknown> {
    try {
      return await this.node.fn.original(...args);
    } catch (error) {
      throw this.failure(error);
    }
  }

  failure(error: unknown, detail = ''): NodeFailedError {
    if (error instanceof NodeFailedError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new NodeFailedError(this.name, `Node \`${this.name}\`${detail} failed: ${message}`, {
      cause: error,
    });
  }

  /** Serializes and stores a computed value under its signature; returns its output hash. */
  async store(
    signature: NodeSignatureParts,
    value: unknown,
    computeMs: number,
    key = signature.key,
  ): Promise<string> {
    let bytes: Uint8Array;
    try {
      bytes = encodeEntry(value, this.memo.serializer, this.name);
    } catch (error) {
      throw this.failure(error);
    }
    const outputHash = hash(bytes);
    if (key === signature.key) this.outputHash = outputHash;
    const meta: NodeSignature = {
      node: this.name,
      ...signature,
      key,
      outputHash,
      timestamp: Date.now(),
      computeMs,
    };
    const info = { node: this.name, computeMs, ttl: this.node.fn.options.ttl, value, outputHash };
    await storeResult(this.backend!, bytes, info, meta, this.node.fn.options.retention);
    this.report.bytesWritten += bytes.length;
    return outputHash;
  }

  setOutput(value: unknown, outputHash: string | undefined): void {
    this.value = value;
    this.outputHash = outputHash;
  }

  /** The content hash of the output if it is known already (stored or read), without hashing it. */
  knownOutputHash(): string | undefined {
    return this.outputHash;
  }

  /** Records an output a worker stored and nothing here needs: its value stays in the cache. */
  setOutputInCache(outputHash: string): void {
    this.value = IN_CACHE;
    this.outputHash = outputHash;
  }

  outputValue(): unknown {
    if (this.value === IN_CACHE) {
      throw new Error(
        `memoflow: the value of \`${this.name}\` was left in the cache as nothing in this run needed it, yet it was asked for: please report this.`,
      );
    }
    return this.value;
  }

  /** The content hash of the node's output; computed on demand for nodes that did not store it. */
  outputHashOf(): string {
    this.outputHash ??= hash(encodeEntry(this.outputValue(), this.memo.serializer, this.name));
    return this.outputHash;
  }
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

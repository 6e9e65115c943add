import type { LimitFunction } from 'p-limit';
import { explainMiss, type SignatureParts } from './_explain.ts';
import { hash } from './_hash.ts';
import { defaultBackend, type Memo, type Prepared } from './_memo.ts';
import { storeResult } from './_store.ts';
import type { CacheBackend, NodeSignature } from './backend.ts';
import { NodeFailedError } from './errors.ts';
import { MEMO } from './func.ts';
import { encodeInputs, hashValue } from './hash-inputs.ts';
import type { PipelineNode } from './pipeline.ts';
import type { NodeReport } from './report.ts';
import { decodeEntry, encodeEntry, MISS } from './serializer.ts';
import { composeKey, depsHashOf } from './signature.ts';

/** What every node of one run shares. */
export interface RunContext {
  /** The run's external inputs. */
  inputs: Record<string, unknown>;
  /** The runner's backend; undefined when the runner's cache is disabled. */
  backend: CacheBackend | undefined;
  /** Replaces every node's env hash, when set. */
  envHash: string | undefined;
  dependencyDepth: number;
  perItemCaching: boolean;
  /** Bounds how many computations run at once. */
  limit: LimitFunction;
}

/** A node's signature for this run, before it is known whether it hits. */
export interface NodeSignatureParts extends SignatureParts {
  envParts: Record<string, string>;
  inputParts: Record<string, string>;
  depsParts: Record<string, string>;
}

/** One item of a mapped input: the input's name and the item. */
export interface MapItem {
  name: string;
  value: unknown;
}

/** One node's state in a run: wiring, cache mode, result, report. */
export class NodeRun {
  readonly memo: Memo;
  readonly prepared: Prepared;
  /** Input name → the run of the node producing it (external inputs are absent). */
  readonly upstream = new Map<string, NodeRun>();
  readonly children: NodeRun[] = [];
  /** Upstream nodes not finished yet. */
  waiting = 0;
  readonly backend: CacheBackend | undefined;
  readonly reads: boolean;
  readonly writes: boolean;
  /** A mapped node cached item by item: its items are hashed by content, not as one upstream value. */
  readonly perItem: boolean;
  readonly report: NodeReport;
  /** The produced value and its content hash, once there is one. */
  private value: unknown;
  private outputHash: string | undefined;

  constructor(
    readonly node: PipelineNode,
    readonly context: RunContext,
  ) {
    this.memo = (node.fn as any)[MEMO] as Memo;
    this.prepared = this.memo.prepare(node.fn.options.dependencyDepth ?? context.dependencyDepth);
    this.report = { node: node.name, status: 'skipped', bytesRead: 0, bytesWritten: 0 };
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
      if (overrides && name in overrides) return overrides[name];
      const producer = this.upstream.get(name);
      return producer ? producer.outputValue() : this.context.inputs[name];
    };
    if (this.node.style === 'object') {
      const object: Record<string, unknown> = {};
      for (const name of this.node.inputs) object[name] = inputValue(name);
      return [object];
    }
    return this.node.inputs.map(inputValue);
  }

  /**
   * The signature of this node for this run: code, env, the external inputs it hashes, and the
   * output hashes of the upstream nodes it reads (early cutoff: same upstream bytes, same key).
   * With `item`, the mapped input is replaced by one item: a per-item signature.
   */
  signature(item?: MapItem): NodeSignatureParts {
    const base = this.base();
    const { values, labels, inputsHash } = this.inputsOf(item);
    const inputParts: Record<string, string> = {};
    labels.forEach((label, i) => {
      inputParts[label] = hashValue(values[i], this.name, label);
    });
    const key = composeKey(base.codeHash, base.envHash, inputsHash, base.depsHash);
    return { ...base, key, inputsHash, inputParts };
  }

  /** Only the key (and inputs hash): what a lookup needs, without the per-input hashes meta keeps. */
  keyOf(item?: MapItem): { key: string; inputsHash: string } {
    const base = this.base();
    const { inputsHash } = this.inputsOf(item);
    return { key: composeKey(base.codeHash, base.envHash, inputsHash, base.depsHash), inputsHash };
  }

  private baseParts: Omit<NodeSignatureParts, 'key' | 'inputsHash' | 'inputParts'> | undefined;

  /** The parts shared by every key of this node in this run (the mapped input is not among its deps). */
  private base() {
    if (this.baseParts) return this.baseParts;
    const depsParts: Record<string, string> = {};
    for (const name of this.hashedInputs()) {
      const producer = this.upstream.get(name);
      if (producer && !(this.perItem && name === this.node.map)) depsParts[name] = producer.outputHashOf();
    }
    const environment = this.context.envHash
      ? { envHash: this.context.envHash, envParts: { envHash: this.context.envHash } }
      : this.memo.environment(this.prepared);
    const { codeHash, codeParts } = this.prepared.analysis;
    this.baseParts = { codeHash, codeParts, ...environment, depsHash: depsHashOf(depsParts), depsParts };
    return this.baseParts;
  }

  private hashedInputs(): string[] {
    const ignored = this.node.fn.options.ignore;
    return ignored ? this.node.inputs.filter((name) => !ignored.includes(name)) : this.node.inputs;
  }

  /** The values the inputs hash covers: external inputs (or the `key` function's result), the item, captures. */
  private inputsOf(item: MapItem | undefined) {
    const { options } = this.node.fn;
    let labels = this.hashedInputs().filter((name) => !this.upstream.has(name) && name !== item?.name);
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
    return { values, labels, inputsHash: encodeInputs(this.name, values, labels, paths).digest() };
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
    Object.assign(this.report, { status: 'hit', key, bytesRead: bytes, savedMs: computeMs });
  }

  /** Computes the node (bounded by the run's limit), stores the result, and explains the miss. */
  async compute(signature: NodeSignatureParts | undefined): Promise<void> {
    const previous =
      signature && this.backend ? await this.backend.getMeta(this.name).catch(() => undefined) : undefined;
    if (signature) {
      const explained = this.reads
        ? explainMiss(previous, signature)
        : { reason: 'recompute' as const, changed: [] };
      Object.assign(this.report, { key: signature.key, reason: explained.reason });
      if (explained.changed.length > 0) this.report.changed = explained.changed;
    }
    const started = performance.now();
    const value = await this.context.limit(() => this.invoke(this.args()));
    const computeMs = performance.now() - started;
    this.report.status = signature ? 'miss' : 'disabled';
    this.report.computeMs = computeMs;
    this.setOutput(value, undefined);
    if (signature && this.writes) await this.store(signature, value, computeMs);
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

  outputValue(): unknown {
    return this.value;
  }

  /** The content hash of the node's output; computed on demand for nodes that did not store it. */
  outputHashOf(): string {
    this.outputHash ??= hash(encodeEntry(this.outputValue(), this.memo.serializer, this.name));
    return this.outputHash;
  }
}

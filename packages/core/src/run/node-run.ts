import type { CacheBackend, NodeSignature } from '../backends/index.ts';
import { NodeFailedError } from '../errors.ts';
import { defaultBackend, type Memo, memoOf, type Prepared, storeResult } from '../memo/index.ts';
import type { PipelineNode } from '../pipeline/index.ts';
import type { MissReason, NodeReport } from '../report/index.ts';
import { decodeEntry, encodeEntry, MISS } from '../serializer/index.ts';
import { hash } from '../util/index.ts';
import { explainMiss, type SignatureParts } from './miss-reasons.ts';
import { NodeKey } from './node-key.ts';
import type { NodeSignatureParts, RunContext } from './types.ts';
import type { NodeWiring } from './wiring.ts';

/** The value of a node a worker computed and nothing in this process reads. */
const IN_CACHE: unique symbol = Symbol('memoflow.inCache');

/** One node's state in a run: wiring, cache mode, result, report; its keys are derived by NodeKey, which it extends. */
export class NodeRun extends NodeKey {
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
    super();
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
    const value = await this.inSlot(async () => {
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

  /**
   * Runs `task` in one of the run's compute slots, when it is this node's turn (see FairLimiter);
   * the progress line shows the node as running while it holds one.
   */
  inSlot<T>(task: () => Promise<T>): Promise<T> {
    const { limit, progress } = this.context;
    return limit.run(this.name, async () => {
      progress?.started(this.name);
      try {
        return await task();
      } finally {
        progress?.released(this.name);
      }
    });
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

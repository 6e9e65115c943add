import type { CacheBackend, NodeSignature } from '../backends/index.ts';
import { MemoryCache } from '../backends/index.ts';
import { decodeEntry, encodeEntry, MISS, type Serializer, v8Serializer } from '../serializer/index.ts';
import {
  type CodeTarget,
  composeKey,
  encodeInputs,
  hashValue,
  NO_DEPS_HASH,
  type Signature,
} from '../signature/index.ts';
import { hash } from '../util/index.ts';
import { CallEnvironment } from './call-env.ts';
import { inputValues, primitivesText, sameArgs } from './inputs.ts';
import { nodeInfoOf } from './node-info.ts';
import { prepareFunction } from './prepare.ts';
import { storeResult, warnOnce } from './store.ts';
import type { EnvHash, MemoOptions, NodeInfo, Prepared } from './types.ts';

const KEY_MEMO_LIMIT = 10_000;

let sharedMemory: MemoryCache | undefined;
/** The process-wide MemoryCache used by `cache: true`, created on first use. */
export const defaultBackend = (): MemoryCache => (sharedMemory ??= new MemoryCache());

/** In-flight computations per backend and key: concurrent calls with one signature share one promise. */
const inflight = new WeakMap<CacheBackend, Map<string, Promise<unknown>>>();

/** The memoization engine behind one wrapped function. */
export class Memo {
  /** The analysis at the function's own dependencyDepth: what every plain call uses. */
  private prepared: Prepared | undefined;
  /** Analyses by dependencyDepth (a Runner may ask for another), or the error the analysis found. */
  private readonly analyses = new Map<number, Prepared | Error>();
  readonly backend: CacheBackend | undefined;
  readonly reads: boolean;
  readonly writes: boolean;
  readonly serializer: Serializer;
  private readonly env: CallEnvironment;
  private lastPrimitiveArgs: unknown[] | undefined;
  private lastKey: string | undefined;

  constructor(
    readonly fn: Function,
    readonly options: MemoOptions,
    readonly target: CodeTarget,
  ) {
    const cache = options.cache ?? true;
    this.backend = cache === false ? undefined : typeof cache === 'object' ? cache : defaultBackend();
    this.reads = cache !== 'recompute' && cache !== 'write-only';
    this.writes = cache !== 'read-only';
    this.serializer = options.serializer ?? v8Serializer;
    this.env = new CallEnvironment(options.files);
  }

  /** The node name: `output`, else the declared name, else the function's name. */
  get node(): string {
    return this.prepared?.node ?? this.options.output ?? (this.fn.name || 'anonymous');
  }

  call(self: unknown, args: unknown[]): Promise<unknown> {
    const backend = this.backend;
    if (!backend) return invoke(this.fn, self, args);
    let key: string;
    let prepared = this.prepared;
    // A memoized function always returns a promise: analysis and hashing errors become rejections.
    try {
      prepared ??= this.prepare();
      key =
        (prepared.inputs.plain && args.length === prepared.inputs.arity && this.knownKey(prepared, args)) ||
        this.keyOf(prepared, self, args).key;
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.reads && backend.peek) {
      const live = backend.peek(key);
      if (live !== undefined) return Promise.resolve(live.value);
    }
    return this.lookupOrCompute(prepared, backend, self, args, key);
  }

  async signature(self: unknown, args: unknown[]): Promise<Signature> {
    return this.signatureOf(this.prepare(), self, args).signature;
  }

  /** The full signature of a call, with the values and labels that went into its inputs hash. */
  private signatureOf(prepared: Prepared, self: unknown, args: unknown[]) {
    const { key, inputsHash, envText, values, labels } = this.keyOf(prepared, self, args, true);
    const env = this.env.hashOf(prepared, envText);
    const signature: Signature = {
      node: prepared.node,
      key,
      codeHash: prepared.analysis.codeHash,
      envHash: env.envHash,
      inputsHash: inputsHash!,
      depsHash: NO_DEPS_HASH,
      codeParts: prepared.analysis.codeParts,
      envParts: env.envParts,
      warnings: prepared.analysis.warnings,
      cut: prepared.analysis.cut,
    };
    return { signature, values, labels };
  }

  /** The node this function is in a Pipeline: its name, its inputs, how it is called. */
  nodeInfo(): NodeInfo {
    return nodeInfoOf(this.prepare(), this.options);
  }

  /**
   * Reads the function's source and environment, once per `dependencyDepth`; later calls reuse
   * the result. Throws what the analysis finds wrong (a captured variable, a bad `ignore`), every time.
   */
  prepare(dependencyDepth: number | undefined = this.options.dependencyDepth): Prepared {
    const depth = dependencyDepth ?? Number.POSITIVE_INFINITY;
    let prepared = this.analyses.get(depth);
    if (!prepared) {
      try {
        prepared = prepareFunction(this.fn, this.options, this.target, depth);
      } catch (error) {
        prepared = error as Error;
      }
      this.analyses.set(depth, prepared);
      if (
        depth === (this.options.dependencyDepth ?? Number.POSITIVE_INFINITY) &&
        !(prepared instanceof Error)
      )
        this.prepared = prepared;
    }
    if (prepared instanceof Error) throw prepared;
    return prepared;
  }

  /**
   * The hot path of a plain call (arguments only, all hashed): the memoized key for its encoding,
   * if any. Primitive arguments identical to the last call's (`Object.is`) encode identically, so
   * their key is reused without encoding them again.
   */
  private knownKey(prepared: Prepared, args: unknown[]): string | undefined {
    const last = this.lastPrimitiveArgs;
    if (last !== undefined && sameArgs(last, args)) return this.lastKey;
    const primitives = primitivesText(args);
    if (primitives === undefined) {
      const text = encodeInputs(prepared.node, args, prepared.inputs.labels, prepared.inputs.paths).text;
      return text === undefined ? undefined : prepared.keys.get(`\u0001${text}`);
    }
    const key = prepared.keys.get(primitives);
    if (key !== undefined) {
      this.lastPrimitiveArgs = args;
      this.lastKey = key;
    }
    return key;
  }

  private keyOf(prepared: Prepared, self: unknown, args: unknown[], full = false) {
    const { values, labels, paths } = inputValues(prepared.inputs, this.options, self, args);
    const encoding = encodeInputs(prepared.node, values, labels, paths);
    const envText = this.env.text(prepared);
    const memoKey = encoding.text === undefined ? undefined : `${envText}\u0001${encoding.text}`;
    let key = memoKey === undefined ? undefined : prepared.keys.get(memoKey);
    if (key === undefined || full) {
      const inputsHash = encoding.digest();
      key = composeKey(
        prepared.analysis.codeHash,
        this.env.hashOf(prepared, envText).envHash,
        inputsHash,
        NO_DEPS_HASH,
      );
      if (memoKey !== undefined) {
        // A full memo is dropped whole: cheaper than LRU bookkeeping on the hit path, and it refills itself.
        if (prepared.keys.size >= KEY_MEMO_LIMIT) prepared.keys.clear();
        prepared.keys.set(memoKey, key);
        const primitives = values === args ? primitivesText(args) : undefined;
        if (primitives !== undefined) prepared.keys.set(primitives, key);
      }
      return { key, inputsHash, envText, values, labels };
    }
    return { key, inputsHash: undefined, envText, values, labels };
  }

  /**
   * The env hash (and its parts) for the current values of the declared env vars, and of
   * `extra` ones (a Runner's `cache.env`) after them.
   */
  environment(prepared: Prepared, extra: readonly string[] = []): EnvHash {
    return this.env.withExtra(prepared, extra);
  }

  private lookupOrCompute(
    prepared: Prepared,
    backend: CacheBackend,
    self: unknown,
    args: unknown[],
    key: string,
  ): Promise<unknown> {
    let running = inflight.get(backend);
    if (!running) {
      running = new Map();
      inflight.set(backend, running);
    }
    const shared = running.get(key);
    if (shared) return shared;
    const promise = this.readOrCompute(prepared, backend, self, args, key);
    running.set(key, promise);
    const settle = () => running.delete(key);
    promise.then(settle, settle);
    return promise;
  }

  private async readOrCompute(
    prepared: Prepared,
    backend: CacheBackend,
    self: unknown,
    args: unknown[],
    key: string,
  ): Promise<unknown> {
    if (this.reads) {
      const bytes = await backend.getBlob(key).catch((error) => void warnOnce(backend, error));
      if (bytes) {
        const value = decodeEntry(bytes, this.serializer);
        if (value !== MISS) return value;
      }
    }
    const started = performance.now();
    const value = await this.fn.apply(self, args);
    const computeMs = performance.now() - started;
    if (this.writes) await this.store(prepared, backend, self, args, value, computeMs);
    return value;
  }

  private async store(
    prepared: Prepared,
    backend: CacheBackend,
    self: unknown,
    args: unknown[],
    value: unknown,
    computeMs: number,
  ): Promise<void> {
    // Serialization errors are the caller's to fix and propagate; storage errors only cost the cache.
    const bytes = encodeEntry(value, this.serializer, prepared.node);
    const meta = this.metaOf(prepared, self, args, bytes, computeMs);
    const info = {
      node: prepared.node,
      computeMs,
      ttl: this.options.ttl,
      value,
      outputHash: meta.outputHash,
    };
    await storeResult(backend, bytes, info, meta, this.options.retention);
  }

  private metaOf(
    prepared: Prepared,
    self: unknown,
    args: unknown[],
    bytes: Uint8Array,
    computeMs: number,
  ): NodeSignature {
    const { signature, values, labels } = this.signatureOf(prepared, self, args);
    // From entries: a parameter named `__proto__` is an own key like any other.
    const inputParts: Record<string, string> = Object.fromEntries(
      labels.map((label, i) => [label, hashValue(values[i], prepared.node, label)]),
    );
    return { ...signature, outputHash: hash(bytes), timestamp: Date.now(), computeMs, inputParts };
  }
}

function invoke(fn: Function, self: unknown, args: unknown[]): Promise<unknown> {
  try {
    return Promise.resolve(fn.apply(self, args));
  } catch (error) {
    return Promise.reject(error);
  }
}

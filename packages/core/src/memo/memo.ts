import type { CacheBackend, NodeSignature } from '../backends/contract.ts';
import { MemoryCache } from '../backends/memory/memory-cache.ts';
import { ConfigError } from '../errors.ts';
import { decodeEntry, encodeEntry, MISS, type Serializer, v8Serializer } from '../serializer/index.ts';
import {
  analyzeCode,
  type CodeAnalysis,
  type CodeTarget,
  composeKey,
  encodeInputs,
  envHash,
  envVarsText,
  type FilesState,
  filesState,
  hashValue,
  NO_DEPS_HASH,
  type Signature,
  staticEnv,
} from '../signature/index.ts';
import { hash } from '../util/index.ts';
import { type InputPlan, inputValues, planInputs, primitivesText, sameArgs } from './inputs.ts';
import { storeResult, warnOnce } from './store.ts';

/** How a call uses the cache. */
export type CacheMode = boolean | 'recompute' | 'read-only' | 'write-only';

/** The options the engine needs; func.ts documents and validates them. */
export interface MemoOptions {
  output?: string;
  inputs?: readonly string[];
  captures?: Record<string, unknown>;
  cache?: CacheMode | CacheBackend;
  version?: string | number;
  deps?: readonly Function[];
  ignore?: readonly string[];
  key?: (...args: any[]) => unknown;
  env?: readonly string[];
  serializer?: Serializer;
  ttl?: number;
  retention?: 'all' | 'latest';
  dependencyDepth?: number;
  files?: readonly string[];
  map?: string;
}

/** How a Pipeline wires a memoized function as a node. */
export interface NodeInfo {
  /** The node's name, which is also the name of the value it produces (`output`). */
  name: string;
  /** The names of the values it takes, in parameter order. */
  inputs: string[];
  /** `positional`: `fn(a, b)`; `object`: a single destructured parameter, `fn({ a, b })`. */
  style: 'positional' | 'object';
  /** The input it maps over, caching each item (`map` option). */
  map?: string;
  /** Where the function was wrapped, for messages. */
  location?: string;
}

/** What is fixed for a memoized function once its source has been read. */
export interface Prepared {
  node: string;
  analysis: CodeAnalysis;
  staticEnvParts: Record<string, string>;
  inputs: InputPlan;
  /** Memo of input encoding text → key, so an in-memory hit needs no digest at all. */
  keys: Map<string, string>;
  /** The env vars whose values count: the `env` option's, then those the code reads (`process.env.X`). */
  envNames: readonly string[];
  /** env var text → env hash. */
  envHashes: Map<string, { envHash: string; envParts: Record<string, string> }>;
  /** The key of this node's last pipeline run, and exactly what it was derived from. */
  lastRunKey?: { envHash: string; inputsText: string; deps: string[]; key: string };
}

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
  private lastPrimitiveArgs: unknown[] | undefined;
  /** The `files` state the last env text was made of (its parts go into the env hash on a miss). */
  private files: FilesState | undefined;
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
    const env = this.envFor(prepared, envText);
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
    const { node, analysis } = this.prepare();
    const location = analysis.location;
    const base = { name: node, map: this.options.map, location };
    if (this.options.inputs) return { ...base, inputs: [...this.options.inputs], style: 'positional' };
    const params = analysis.params;
    if (params.length === 1 && params[0]!.properties) {
      return { ...base, inputs: [...params[0]!.properties], style: 'object' };
    }
    for (const [i, param] of params.entries()) {
      if (param.rest || param.properties || /^arg\d+$/.test(param.name)) {
        throw new ConfigError(
          `Node \`${node}\`${location ? ` (${location})` : ''} has a parameter a pipeline cannot wire by name: \`${param.name}\` at position ${i + 1}. Use named parameters, or a single destructured object \`({ a, b })\`, or give the node \`inputs: [...]\`.`,
        );
      }
    }
    return { ...base, inputs: params.map((p) => p.name), style: 'positional' };
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
        prepared = this.analyze(depth);
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

  private analyze(dependencyDepth: number): Prepared {
    const { options } = this;
    const analysis = analyzeCode(this.target, {
      dependencyDepth,
      version: options.version,
      deps: options.deps,
      captures: Object.keys(options.captures ?? {}),
    });
    const node = options.output ?? analysis.declaredName ?? (this.fn.name || 'anonymous');
    warnUnseen(node, analysis);
    const envNames = [...new Set([...(options.env ?? []), ...analysis.envNames])];
    const inputs = planInputs(node, analysis, { ...options, env: envNames }, this.fn.length);
    const { parts } = staticEnv(analysis.packages);
    return {
      node,
      analysis,
      staticEnvParts: parts,
      inputs,
      envNames,
      keys: new Map(),
      envHashes: new Map(),
    };
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
    const envText = this.envText(prepared);
    const memoKey = encoding.text === undefined ? undefined : `${envText}\u0001${encoding.text}`;
    let key = memoKey === undefined ? undefined : prepared.keys.get(memoKey);
    if (key === undefined || full) {
      const inputsHash = encoding.digest();
      key = composeKey(
        prepared.analysis.codeHash,
        this.envFor(prepared, envText).envHash,
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
  environment(
    prepared: Prepared,
    extra: readonly string[] = [],
  ): { envHash: string; envParts: Record<string, string> } {
    const own = prepared.envNames;
    const names = extra.length === 0 ? own : [...own, ...extra.filter((name) => !own.includes(name))];
    return this.envFor(prepared, (names.length > 0 ? envVarsText(names) : '') + this.filesText(), names);
  }

  /** What the env hash of a call depends on, as text: the env vars' values, then the `files` states. */
  private envText(prepared: Prepared): string {
    const vars = prepared.envNames.length > 0 ? envVarsText(prepared.envNames) : '';
    return vars + this.filesText();
  }

  /** The `files` state of this call, kept for envFor: the files are globbed and stat'ed once a call. */
  private filesText(): string {
    if (!this.options.files) return '';
    this.files = filesState(this.options.files);
    return this.files.text;
  }

  private envFor(prepared: Prepared, envText: string, names: readonly string[] = prepared.envNames) {
    let env = prepared.envHashes.get(envText);
    if (!env) {
      env = envHash({ ...prepared.staticEnvParts, ...this.files?.parts }, names);
      prepared.envHashes.set(envText, env);
    }
    return env;
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

const warned = new Set<string>();

/** Says once per process and place what a function depends on that no hash can see. */
function warnUnseen(node: string, analysis: CodeAnalysis): void {
  for (const warning of analysis.warnings) {
    const text = `memoflow: \`${node}\` ${warning.replace(/^(.*?): /, '($1): ')}`;
    if (warned.has(text)) continue;
    warned.add(text);
    process.emitWarning(text, { code: 'MEMOFLOW_UNSEEN_DEPENDENCY' });
  }
}

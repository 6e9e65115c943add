/** The shapes memo/'s files share: a call's cache mode and options, a prepared function, its env hash, its node. */
import type { CacheBackend } from '../backends/index.ts';
import type { Serializer } from '../serializer/index.ts';
import type { CodeAnalysis } from '../signature/index.ts';
import type { InputPlan } from './inputs.ts';

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

/** An env hash and the parts it was made of. */
export interface EnvHash {
  envHash: string;
  envParts: Record<string, string>;
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
  envHashes: Map<string, EnvHash>;
  /** The key of this node's last pipeline run, and exactly what it was derived from. */
  lastRunKey?: { envHash: string; inputsText: string; deps: string[]; key: string };
}

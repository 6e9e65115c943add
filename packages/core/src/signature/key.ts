import type { NodeSignature } from '../backends/index.ts';
import { hash, hashParts } from '../util/index.ts';

/** The version tag every key starts from; bumping it invalidates every stored entry. */
export const SIGNATURE_VERSION = 'memoflow/v2';

/** The deps hash of a call with no upstream results (every standalone `func()` call). */
export const NO_DEPS_HASH: string = hash(`${SIGNATURE_VERSION}/deps:`);

/** Everything a call's result is stored under, and what went into it. */
export interface Signature
  extends Pick<NodeSignature, 'node' | 'key' | 'codeHash' | 'envHash' | 'inputsHash' | 'depsHash'> {
  /** Hash of each piece of code: `<self>`, helpers by name, `./module.ts#name` for relative imports. */
  codeParts: Record<string, string>;
  /** Runtime, platform, arch, `name@version` of imported packages, and declared env vars (hashed). */
  envParts: Record<string, string>;
  /** What the code depends on that no hash can see, each `file:line: what and the fix` (also warned once per process). */
  warnings: string[];
  /** Imports a `dependencyDepth` cut left out of the code hash. */
  cut: string[];
}

/** The portable key: the same code, environment, inputs and upstream results give the same key on any machine. */
export function composeKey(codeHash: string, envHash: string, inputsHash: string, depsHash: string): string {
  return hashParts([SIGNATURE_VERSION, codeHash, envHash, inputsHash, depsHash]);
}

/** The deps hash: upstream node name → that node's output content hash, order-insensitive. */
export function depsHashOf(upstream: Readonly<Record<string, string>>): string {
  const names = Object.keys(upstream).sort();
  if (names.length === 0) return NO_DEPS_HASH;
  return hashParts([`${SIGNATURE_VERSION}/deps`, ...names.map((name) => `${name}=${upstream[name]}`)]);
}

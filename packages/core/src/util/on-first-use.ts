import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on first use instead of at import: the native parser, the source-map
 * decoder and the glob walker cost start-up time that a process which never analyses code does
 * not need to pay. `require()` loads both CommonJS and (Node ≥ 20.19) ES module packages, and
 * synchronously, so callers stay synchronous.
 *
 * @example
 * const oxc = onFirstUse<typeof import('oxc-parser')>('oxc-parser');
 * oxc().parseSync('a.ts', source);
 */
export function onFirstUse<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(specifier) as T;
    return loaded;
  };
}

/** memory/: the in-process backend, the library's default cache. */
export { MemoryCache, type MemoryCacheOptions } from './memory-cache.ts';

export { KeyvCache, type KeyvCacheInfo, type KeyvCacheOptions } from './keyv-cache.ts';

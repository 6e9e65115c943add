/** disk/: the embedded persistent backend (DiskCache), its index (index/) and its archives (archive/). */
export {
  DiskCache,
  type DiskCacheInfo,
  type DiskCacheOptions,
  type ImportOptions,
  type TransferResult,
} from './disk-cache.ts';

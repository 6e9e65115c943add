/** disk/archive/: a DiskCache's entries as a streamed `.tar.gz`, written by export() and read back by import(). */
export {
  type CacheFiles,
  exportCache,
  type ImportOptions,
  importCache,
  type TransferResult,
} from './transfer.ts';

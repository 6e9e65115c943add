/** disk/index/: the journal index of a DiskCache (entries, node signatures, small values), shared by every process. */
export { DiskIndex } from './disk-index.ts';
export type { Access, IndexLimits, InlineRead, NodeTotals, PutFields } from './types.ts';

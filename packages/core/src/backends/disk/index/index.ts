/** disk/index/: the journal index of a DiskCache (entries, node signatures, small values), shared by every process. */
export {
  type Access,
  DiskIndex,
  type IndexLimits,
  type InlineRead,
  type NodeTotals,
  type PutFields,
} from './disk-index.ts';

/** The shapes several files of DiskCache's index share. */

/** Limits enforced on every write, oldest access first. */
export interface IndexLimits {
  maxBytes: number;
  maxEntries: number;
  maxAge: number;
}

/** A node's share of the index. */
export interface NodeTotals {
  entries: number;
  bytes: number;
}

/** A small value read from the journal: its bytes, a record that fails its checks, or not in the journal. */
export type InlineRead = { payload: Uint8Array } | { corrupt: true } | undefined;

/** A read recorded in memory: when, and how many times since the last write. */
export interface Access {
  time: number;
  hits: number;
}

/** An entry as a Put record holds it. */
export interface PutFields {
  key: string;
  /** The blob: sha256 of the stored bytes, hex. */
  blob: string;
  node: string;
  bytes: number;
  created: number;
  /** 0: never expires. */
  expires: number;
  /** -1: unknown. */
  computeMs: number;
  access: number;
  hits: number;
}

/** The canonical encoding of a list of named values. */
export interface InputEncoding {
  /** The whole encoding as a string when it is small (≤ 4096 chars) and contains no binary data; else undefined. Usable directly as an in-memory map key. */
  readonly text: string | undefined;
  /** Hex sha256 of the encoding (computed on first call, then cached). Equal encodings ⇔ equal digests. */
  digest(): string;
}

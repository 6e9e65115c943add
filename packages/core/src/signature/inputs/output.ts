/**
 * Where the input hasher's encoding goes: a text buffer that becomes the encoding's `text` while it
 * stays small, and past that is flushed chunk by chunk into a sha256 stream. Strings and keys are
 * written here because their tokens depend on that: a lone surrogate must be escaped, and a long
 * string is streamed in slices.
 */
import { type HashStream, primitive } from '../../util/index.ts';
import type { InputEncoding } from './types.ts';

export const TEXT_LIMIT = 4096;
export const FLUSH_AT = 64 * 1024;
const STRING_SLICE = 1024 * 1024;

// UTF-8 cannot carry a lone surrogate (it would become U+FFFD and collide). Rather than test every string,
// each chunk is tested before it is hashed; on failure the whole value is re-encoded, escaping such strings.
export const ILL_FORMED = Symbol('ill-formed');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as any).isWellFormed === 'function'
    ? (text) => (text as any).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

/** One finished encoding: its text when small and text-only, and its digest. */
export class Encoding implements InputEncoding {
  #digest: string | undefined;
  constructor(
    readonly text: string | undefined,
    digest: string | undefined,
  ) {
    this.#digest = digest;
  }
  digest(): string {
    this.#digest ??= primitive.hash(this.text!);
    return this.#digest;
  }
}

/** The text buffer and stream an Encoder writes to, and the string and key tokens it writes. */
export class EncodingOutput {
  out = '';
  stream: HashStream | undefined = undefined;
  escape = false;

  protected finish(): string {
    if (this.stream === undefined) return this.hashChunk(this.out);
    this.flush();
    return this.stream.digest();
  }

  private hashChunk(chunk: string): string {
    if (!this.escape && !isWellFormed(chunk)) throw ILL_FORMED;
    return primitive.hash(chunk);
  }

  protected flush(): void {
    const chunk = this.out;
    this.out = '';
    if (!this.escape && !isWellFormed(chunk)) throw ILL_FORMED;
    this.stream ??= primitive.create();
    this.stream.update(chunk);
  }

  protected string(text: string): void {
    if (text.length > FLUSH_AT) this.bigString(text);
    else if (this.escape && !isWellFormed(text)) this.out += 'j' + JSON.stringify(text);
    else this.out += 's' + text.length + ':' + text;
  }

  protected key(text: string): void {
    if (this.escape && !isWellFormed(text)) this.out += 'j' + JSON.stringify(text);
    else this.out += text.length + ':' + text;
    if (this.out.length > FLUSH_AT) this.flush();
  }

  private bigString(text: string): void {
    if (!isWellFormed(text)) {
      if (!this.escape) throw ILL_FORMED;
      this.out += 'j' + JSON.stringify(text);
      this.flush();
      return;
    }
    this.out += 's' + text.length + ':';
    this.flush();
    const stream = this.stream!;
    for (let start = 0; start < text.length; ) {
      let end = Math.min(start + STRING_SLICE, text.length);
      // Never split a surrogate pair: each half alone would be UTF-8-encoded as U+FFFD.
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      stream.update(text.slice(start, end));
      start = end;
    }
  }
}

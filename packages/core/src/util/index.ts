/** util/: small pieces every folder uses: hashing, the clock, diagram text, dependencies loaded on first use. */
export { mermaidText } from './diagram-text.ts';
export { formatBytes } from './format-bytes.ts';
export { type HashStream, hash, hashParts, primitive } from './hash.ts';
export { onFirstUse } from './on-first-use.ts';

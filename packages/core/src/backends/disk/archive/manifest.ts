/** The checks a cache archive's `manifest.json` passes before any of its blobs is written. */

import { ConfigError, quote } from '../../../errors.ts';
import { assertKey, assertNode, reasonOf } from '../../kit/index.ts';
import { type ArchiveManifest, FORMAT, HASH, VERSION } from './archive.ts';

/**
 * Parses and checks `manifest.json`: its format and version, every entry's fields, every key as
 * DiskCache's `set` checks it, every node name, one size per blob, and the blobs' total against
 * `maxBytes`. Returns it with each blob's declared payload size.
 *
 * @throws ConfigError naming the problem (the entry and its bad key, the sizes), worded to follow
 *   "Cannot import <file>: ".
 */
export function parseManifest(
  text: string,
  maxBytes: number,
): { manifest: ArchiveManifest; declared: Map<string, number> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`its \`manifest.json\` is not valid JSON (${reasonOf(error)}).`);
  }
  const manifest = value as Partial<ArchiveManifest> | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== FORMAT) {
    throw new ConfigError(
      `its \`manifest.json\` has format ${quote((manifest as { format?: unknown } | null)?.format)}, expected ${quote(FORMAT)}; it is not a memoflow cache archive.`,
    );
  }
  if (manifest.version !== VERSION) {
    throw new ConfigError(
      `it is format version ${quote(manifest.version)}; this memoflow reads version ${VERSION}. Import it with the memoflow version that exported it, or export it again.`,
    );
  }
  if (
    !isFiniteNumber(manifest.createdAt) ||
    !Array.isArray(manifest.entries) ||
    !Array.isArray(manifest.meta)
  ) {
    throw new ConfigError('its `manifest.json` lacks `createdAt`, `entries` or `meta`.');
  }
  const declared = new Map<string, number>();
  let total = 0;
  for (const [index, entry] of manifest.entries.entries()) {
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.blob === 'string' &&
      HASH.test(entry.blob) &&
      Number.isSafeInteger(entry.bytes) &&
      entry.bytes >= 0 &&
      [entry.createdAt, entry.expiresAt, entry.computeMs].every(isFiniteNumber);
    if (!valid)
      throw new ConfigError(`entry ${index} of its \`manifest.json\` is malformed: ${quote(entry)}.`);
    rethrowing(`entry ${index} of its \`manifest.json\``, () => {
      assertKey(entry.key);
      assertNode(entry.node);
    });
    const size = declared.get(entry.blob);
    if (size === undefined) {
      declared.set(entry.blob, entry.bytes);
      total += entry.bytes;
    } else if (size !== entry.bytes) {
      throw new ConfigError(
        `entry ${index} of its \`manifest.json\` says blob ${entry.blob} is ${entry.bytes} bytes, an earlier entry ${size}. The archive was damaged or altered; export it again.`,
      );
    }
  }
  for (const [index, signature] of manifest.meta.entries()) {
    if (typeof signature !== 'object' || signature === null || Array.isArray(signature)) {
      throw new ConfigError(`signature ${index} of its \`manifest.json\` is malformed: ${quote(signature)}.`);
    }
    rethrowing(`signature ${index} of its \`manifest.json\``, () =>
      assertNode((signature as { node?: unknown }).node),
    );
  }
  if (total > maxBytes) {
    throw new ConfigError(
      `its values expand to ${total} bytes, more than \`maxBytes\` (${maxBytes}). Nothing was imported; if the archive is trusted and the disk has room, raise \`maxBytes\` in the import() options.`,
    );
  }
  return { manifest: manifest as ArchiveManifest, declared };
}

/** Runs a check of DiskCache's own, its ConfigError reworded to say where in the manifest the bad value is. */
function rethrowing(where: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `${where}: ${error.message} Nothing was imported; the archive was not written by memoflow's export(), or was altered.`,
      { cause: error },
    );
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

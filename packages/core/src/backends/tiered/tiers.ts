/** The tiers given to a TieredCache, checked when it is made. */

import { ConfigError, quote } from '../../errors.ts';
import type { CacheBackend } from '../contract.ts';

/** A tier as the TieredCache uses it. */
export interface TierSlot {
  readonly backend: CacheBackend;
  readonly readOnly: boolean;
  /** Its position from 0, fastest first. */
  readonly index: number;
}

/** Every method of the contract; a tier lacking one is refused when the cache is made, not on first use. */
const CONTRACT_METHODS = [
  'getMeta',
  'setMeta',
  'getBlob',
  'setBlob',
  'getMany',
  'has',
  'delete',
  'entries',
  'info',
  'prune',
  'clear',
  'verify',
  'close',
] as const;

const TIER_OPTIONS: readonly string[] = ['backend', 'readOnly'];

const EXAMPLE =
  '`new TieredCache([new MemoryCache(), new DiskCache(), { backend: shared, readOnly: true }])`';

/** Checks the tiers given to `new TieredCache(...)`; throws a ConfigError naming the bad one and the fix. */
export function slotsOf(tiers: unknown): TierSlot[] {
  if (!Array.isArray(tiers)) {
    throw new ConfigError(
      `Invalid tiers ${quote(tiers)} for TieredCache: expected an array of cache backends, fastest first, e.g. ${EXAMPLE}.`,
    );
  }
  if (tiers.length === 0) {
    throw new ConfigError(
      `TieredCache needs at least one tier, got []. Pass the backends fastest first, e.g. ${EXAMPLE}.`,
    );
  }
  const slots = tiers.map((tier, index) => slotOf(tier, index));
  for (const slot of slots) {
    const first = slots.find((other) => other.backend === slot.backend)!;
    if (first !== slot) {
      throw new ConfigError(
        `The same ${slot.backend.name} backend is tier ${first.index + 1} and tier ${slot.index + 1} of a TieredCache: each write would reach it twice. Give each tier its own backend.`,
      );
    }
  }
  return slots;
}

function slotOf(tier: unknown, index: number): TierSlot {
  const where = `tier ${index + 1} of TieredCache`;
  const withOptions = isObject(tier) && 'backend' in tier && typeof tier.getBlob !== 'function';
  const backend = withOptions ? tier.backend : tier;
  const readOnly = withOptions && 'readOnly' in tier ? tier.readOnly : undefined;
  // A misspelt `readonly` would leave a shared tier writable: refused rather than ignored.
  const unknown = withOptions ? Object.keys(tier).filter((name) => !TIER_OPTIONS.includes(name)) : [];
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown option ${unknown.map((name) => `\`${name}\``).join(', ')} in ${where}: a tier takes \`backend\` and \`readOnly\`.`,
    );
  }
  if (readOnly !== undefined && typeof readOnly !== 'boolean') {
    throw new ConfigError(`Invalid \`readOnly\` ${quote(readOnly)} in ${where}: expected true or false.`);
  }
  const missing = isObject(backend)
    ? CONTRACT_METHODS.filter((method) => typeof backend[method] !== 'function')
    : CONTRACT_METHODS;
  if (!isObject(backend) || missing.length > 0) {
    const lacks = isObject(backend)
      ? ` (it has no ${missing.map((method) => `\`${method}\``).join(', ')})`
      : '';
    throw new ConfigError(
      `Tier ${index + 1} of TieredCache is not a cache backend: got ${quote(backend)}${lacks}. Pass a CacheBackend (MemoryCache, DiskCache, RedisCache, …) or \`{ backend, readOnly: true }\`.`,
    );
  }
  const cache = backend as unknown as CacheBackend;
  return { backend: cache, readOnly: readOnly ?? false, index };
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null;
}

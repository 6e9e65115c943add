/**
 * Checks every backend makes of what it is given, before it touches storage: keys, node names,
 * ttls and limits. Each failure is a ConfigError that quotes the bad value and says what is expected.
 */
import { ConfigError, quote } from '../../errors.ts';
import type { PruneOptions } from '../contract.ts';

/** Anything but a lowercase hex digit. With a length check, the same test as KEY_PATTERN at a third of its cost (65 against 180 ns for 64 digits). */
const NOT_HEX = /[^0-9a-f]/;

/** Throws a ConfigError unless `key` is a lowercase hex digest, so no other string reaches a map or a path. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length < 16 || key.length > 128 || NOT_HEX.test(key)) {
    throw new ConfigError(
      `Invalid cache key ${quote(key)}: a key is 16 to 128 lowercase hex characters (a digest).`,
    );
  }
}

/** Throws a ConfigError unless `node` is a string (any string: `__proto__` too, see `byNode()`). */
export function assertNode(node: unknown): asserts node is string {
  if (typeof node !== 'string') throw new ConfigError(`Invalid node name ${quote(node)}: expected a string.`);
}

/**
 * An empty table keyed by node names. It has no prototype, so a node named `__proto__`,
 * `constructor` or `toString` is a key like any other: it neither sets nor reads Object.prototype.
 */
export function byNode<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Throws a ConfigError unless `ttl` is milliseconds > 0; undefined or Infinity: never expires. `where` names the options. */
export function assertTtl(ttl: unknown, where: string): asserts ttl is number | undefined {
  if (ttl === undefined || (typeof ttl === 'number' && ttl > 0)) return;
  throw new ConfigError(`Invalid \`ttl\` ${quote(ttl)} in ${where}: expected milliseconds > 0, or no ttl.`);
}

/** Throws a ConfigError unless the option `name` of `where` is undefined or a number >= 0. */
export function assertLimit(
  value: unknown,
  name: string,
  where: string,
): asserts value is number | undefined {
  if (value === undefined || (typeof value === 'number' && value >= 0 && !Number.isNaN(value))) return;
  throw new ConfigError(`Invalid \`${name}\` ${quote(value)} in ${where}: expected a number >= 0.`);
}

/** Checks the limits of `prune()` options before anything is listed or removed. */
export function assertPruneOptions(options: PruneOptions): void {
  const where = 'prune() options';
  assertLimit(options.maxAge, 'maxAge', where);
  assertLimit(options.maxBytes, 'maxBytes', where);
  assertLimit(options.maxEntries, 'maxEntries', where);
}

/** The expiry time for an entry stored now: 0 when it never expires. */
export function expiryOf(ttl: number | undefined, now: number): number {
  return ttl === undefined || ttl === Number.POSITIVE_INFINITY ? 0 : now + ttl;
}

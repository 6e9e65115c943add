/** KeyvCache's options, and the checks of what it is given. */
import { assertTtl, ConfigError, quote } from '@memoflow/core/backend-kit';
import { isKeyv } from './_keyv-io.ts';

export interface KeyvCacheOptions {
  /**
   * Milliseconds until an entry expires, for entries stored without a `ttl` of their own. Expiry
   * is Keyv's: the store's native TTL where it has one (Redis `PX`), else Keyv's check on read.
   * @default the Keyv's own `ttl`, if it has one; otherwise entries do not expire
   */
  ttl?: number;
  /**
   * Record reads, so that `prune()` removes the least recently used entries first and
   * `entries()` reports hits. Reads are gathered in memory and written together (one read and
   * one write of small records per second, or per thousand keys read, and before any listing):
   * a hit costs no write of its own. Set `false` for a client that must not write on reads;
   * `prune()` then orders entries by creation time.
   * @default true
   */
  trackAccess?: boolean;
  /**
   * Whether `close()` disconnects the Keyv's store (`keyv.disconnect()`). Set `false` when the
   * Keyv is shared with other code that goes on using it.
   * @default true
   */
  disconnect?: boolean;
}

/** Throws a ConfigError unless `keyv` is a Keyv 5 instance, or naming the first option that is not what it should be. */
export function checkArguments(keyv: unknown, options: KeyvCacheOptions): void {
  if (!isKeyv(keyv)) {
    throw new ConfigError(
      `KeyvCache expects a Keyv 5 instance, got ${quote(keyv)}. Pass \`new Keyv(store)\` (or @keyv/redis's \`createKeyv(url)\`).`,
    );
  }
  const where = 'KeyvCache options';
  assertTtl(options.ttl, where);
  for (const name of ['trackAccess', 'disconnect'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new ConfigError(`Invalid \`${name}\` ${quote(options[name])} in ${where}: expected a boolean.`);
    }
  }
}

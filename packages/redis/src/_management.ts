/**
 * The client management commands (`entries`, `info`, `prune`, `clear`, `verify`, `delete`, the
 * run history's reads) go through. Unlike the hit path, where an unreachable server is a miss,
 * management must fail, and must never wait forever: each command has a deadline (see
 * _deadline.ts), and a command that misses it, or that the server refuses, rejects with the
 * BackendError `fail` makes of it.
 */
import type { Client } from './_connection.ts';
import type { ListingClient } from './_listing.ts';

export interface ManagementClient extends ListingClient {
  /** Values as bytes; `bytes`, their size as their records say, sets the deadline. */
  mGetBytes(keys: string[], bytes: number): Promise<(Buffer | null)[]>;
  get(key: string): Promise<string | null>;
  /** The members of a sorted set, highest score first: `limit` of them, or all. */
  zRangeRev(key: string, limit: number | undefined): Promise<string[]>;
}

/**
 * `timed(command, answer, bytes)` waits for `answer` within the deadline for `bytes` and turns
 * any failure into a BackendError naming the command.
 */
export type Timed = <T>(command: string, answer: Promise<T>, bytes?: number) => Promise<T>;

export function managementClient(client: Client, binary: Client, timed: Timed): ManagementClient {
  return {
    scan: (cursor, options) => timed('SCAN', client.scan(cursor, options)),
    zScan: (key, cursor, options) => timed('ZSCAN', client.zScan(key, cursor, options)),
    mGet: (keys) => timed('MGET', client.mGet(keys)),
    zmScore: (key, members) => timed('ZMSCORE', client.zmScore(key, members)),
    zRem: (key, members) => timed('ZREM', client.zRem(key, members)),
    pTTL: (key) => timed('PTTL', client.pTTL(key)),
    exists: (key) => timed('EXISTS', client.exists(key)),
    unlink: (keys) => timed('UNLINK', client.unlink(keys)),
    get: (key) => timed('GET', client.get(key) as Promise<string | null>),
    zRangeRev: (key, limit) =>
      timed(
        'ZRANGE',
        client.zRange(key, 0, limit === undefined ? -1 : limit - 1, { REV: true }) as Promise<string[]>,
      ),
    mGetBytes: (keys, bytes) =>
      timed('MGET', binary.mGet(keys) as unknown as Promise<(Buffer | null)[]>, bytes),
  };
}

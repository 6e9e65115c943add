/**
 * The keys of a RedisCache, all under its prefix: `v:<key>` an entry's value, `i:<key>` its
 * record (node, size, times), `m:<node>` a node's last signature, `a` the access-time set.
 */
export class KeyNames {
  /** The sorted set of last access times (member: key, score: ms). */
  readonly access: string;

  constructor(readonly prefix: string) {
    this.access = `${prefix}a`;
  }

  value(key: string): string {
    return `${this.prefix}v:${key}`;
  }

  info(key: string): string {
    return `${this.prefix}i:${key}`;
  }

  meta(node: string): string {
    return `${this.prefix}m:${node}`;
  }
}

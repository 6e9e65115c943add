/**
 * The keys of a RedisCache, all under its prefix: `v:<key>` an entry's value, `i:<key>` its
 * record (node, size, times), `m:<node>` a node's last signature, `a` the access-time set, `r`
 * the recorded runs (summaries, a sorted set by start time) and `r:<id>` each run's record.
 */
export class KeyNames {
  /** The sorted set of last access times (member: key, score: ms). */
  readonly access: string;

  constructor(readonly prefix: string) {
    this.access = `${prefix}a`;
    this.runs = `${prefix}r`;
  }

  /** The run summaries, a sorted set scored by start time, capped at the history's `keep`. */
  readonly runs: string;

  run(id: string): string {
    return `${this.prefix}r:${id}`;
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

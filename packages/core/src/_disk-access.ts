/** What a DiskCache knows of its own reads, which the file system's access times miss or round. */
import type { ScannedEntry } from './_disk-read.ts';
import type { EntryRecord } from './backend.ts';

/** This process's reads, by key, least recent first; bounded. */
export class AccessLog {
  readonly #byKey = new Map<string, Access>();

  touch(key: string, now: number): void {
    let access = this.#byKey.get(key);
    if (access === undefined) {
      if (this.#byKey.size >= MAX_TRACKED_KEYS) this.#byKey.delete(this.#byKey.keys().next().value!);
      access = { hits: 0, lastAccess: now };
    } else {
      this.#byKey.delete(key);
    }
    access.hits++;
    access.lastAccess = now;
    this.#byKey.set(key, access);
  }

  delete(key: string): void {
    this.#byKey.delete(key);
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** The record of a scanned entry file: its last access is the latest of creation, atime and this process's reads. */
  recordOf(scanned: ScannedEntry): EntryRecord {
    const { header } = scanned;
    const access = this.#byKey.get(scanned.key);
    return {
      key: scanned.key,
      node: header.node,
      bytes: header.payloadBytes,
      createdAt: header.createdAt,
      lastAccess: Math.max(header.createdAt, scanned.atimeMs, access?.lastAccess ?? 0),
      ...(header.expiresAt === 0 ? {} : { expiresAt: header.expiresAt }),
      ...(header.computeMs === undefined ? {} : { computeMs: header.computeMs }),
      hits: access?.hits ?? 0,
    };
  }
}

interface Access {
  hits: number;
  lastAccess: number;
}

const MAX_TRACKED_KEYS = 65_536;

/**
 * Walks over DiskCache's entries, for management (info, prune, clear, export): the newest or
 * oldest, one node's, the expired, least recently used first; and each node's totals. A walk
 * reads each entry from its record as it goes.
 */
import { entryAt } from './entry-reads.ts';
import type { JournalFile } from './journal-file.ts';
import { byAccess } from './lru.ts';
import type { IndexState } from './state.ts';
import type { NodeTotals, PutFields } from './types.ts';

/** Each node's entries and bytes (a Map: a node may be named `__proto__`). */
export function nodeTotals(state: IndexState): Map<string, NodeTotals> {
  const { names, entries, bytes } = state.nodes;
  const nodes = new Map<string, NodeTotals>();
  names.forEach((name, id) => {
    if (entries[id]! > 0) nodes.set(name, { entries: entries[id]!, bytes: bytes[id]! });
  });
  return nodes;
}

/** The `limit` newest entries, newest first, or the oldest ones, oldest first. */
export function byCreation(
  journal: JournalFile,
  state: IndexState,
  newest: boolean,
  limit: number,
): PutFields[] {
  const created = state.entries.created;
  const sign = newest ? -1 : 1;
  const best: number[] = [];
  for (const slot of state.entries.entryRows()) {
    const value = sign * created[slot]!;
    if (best.length === limit && value >= sign * created[best.at(-1)!]!) continue;
    let at = best.length;
    while (at > 0 && sign * created[best[at - 1]!]! > value) at--;
    best.splice(at, 0, slot);
    if (best.length > limit) best.pop();
  }
  return best.flatMap((slot) => entryAt(journal, state, slot) ?? []);
}

/** Every entry, optionally one node's. */
export function* entryRows(journal: JournalFile, state: IndexState, node?: string): Generator<PutFields> {
  const id = node === undefined ? -1 : state.nodes.find(node);
  if (id === undefined) return;
  const slots = [...state.entries.entryRows()].filter((slot) => id === -1 || state.entries.node[slot] === id);
  const epoch = state.epoch;
  for (const slot of slots) {
    // A row removed meanwhile (by this or another process) is skipped; after a move to a new generation, every row is.
    if (state.epoch !== epoch || state.entries.dead[slot] !== 0) continue;
    const entry = entryAt(journal, state, slot);
    if (entry) yield entry;
  }
}

/** Entries whose ttl ran out by `now`, soonest first. */
export function expired(journal: JournalFile, state: IndexState, now: number): PutFields[] {
  const { entries } = state;
  const slots: number[] = [];
  for (const slot of entries.entryRows())
    if (entries.expires[slot] !== 0 && entries.expires[slot]! <= now) slots.push(slot);
  slots.sort((a, b) => entries.expires[a]! - entries.expires[b]!);
  return slots.flatMap((slot) => entryAt(journal, state, slot) ?? []);
}

/** Entries from least to most recently used; the walk ends if the index moves to a new generation meanwhile. */
export function* leastRecentlyUsed(journal: JournalFile, state: IndexState): Generator<PutFields> {
  const epoch = state.epoch;
  for (const slot of byAccess(state.entries)) {
    if (state.epoch !== epoch) return;
    if (state.entries.dead[slot] !== 0) continue;
    const entry = entryAt(journal, state, slot);
    if (entry) yield entry;
  }
}

/** The cache page: what the cache holds per node, and removing one node's entries after a confirmation. */
import type { CacheView } from '../src/types.ts';
import { getJson, pruneNode } from './api.ts';
import { h, table } from './dom.ts';
import { bytes } from './format.ts';

/** What the last prune did: kept across the page's redraw that the prune itself causes. */
let lastNote = '';

export async function cachePage(): Promise<HTMLElement> {
  const cache = await getJson<CacheView>('/api/cache');
  const note = h('p', { id: 'prune-note', role: 'status' }, lastNote);
  const rows = cache.nodes.map((node) => {
    const action = h('span', { class: 'prune' });
    const ask = () =>
      action.replaceChildren(
        `Remove ${entries(node.entries)} (${bytes(node.bytes)}) of ${node.name}? `,
        h(
          'button',
          {
            class: 'danger',
            'data-confirm': node.name,
            onclick: async () => {
              action.replaceChildren('removing…');
              try {
                const removed = await pruneNode(node.name);
                lastNote = `Removed ${entries(removed.entries)} (${bytes(removed.bytes)}) of ${removed.node}.`;
              } catch (error) {
                lastNote = `Could not remove ${node.name}'s entries: ${(error as Error).message}`;
              }
              note.textContent = lastNote;
            },
          },
          'Remove',
        ),
        ' ',
        h('button', { onclick: () => action.replaceChildren(prune) }, 'Cancel'),
      );
    const prune = h('button', { 'data-prune': node.name, onclick: ask }, 'Prune…');
    action.append(prune);
    return [
      node.name,
      String(node.entries),
      bytes(node.bytes),
      String(node.hits),
      String(node.misses),
      action,
    ];
  });
  return h(
    'section',
    { class: 'page' },
    h('h1', {}, 'Cache'),
    h(
      'p',
      {},
      `${cache.backend}${cache.location === undefined ? '' : ` at ${cache.location}`}: ${entries(cache.entries)}, ${bytes(cache.bytes)}`,
    ),
    note,
    cache.nodes.length === 0
      ? h('p', {}, 'The cache is empty.')
      : table(['node', 'entries', 'size', 'hits', 'misses', ''], rows, { id: 'cache-table' }),
  );
}

const entries = (count: number): string => `${count} ${count === 1 ? 'entry' : 'entries'}`;

/**
 * The panel of a clicked node: its state and why, the parts of its signature, its history across
 * runs, and a preview of its stored value (loaded after the rest: it may be the slow part).
 */
import type { NodeDetail, NodeHistoryEntry, SignatureView, ValuePreview } from '../src/types.ts';
import { getJson, runPath } from './api.ts';
import { h, table } from './dom.ts';
import { bytes, duration, nodeMeta, stateLabel, when, why } from './format.ts';

/** Hashes are shown to this many characters; the whole hash is the cell's title. */
const HASH_SHOWN = 12;

export async function nodePanel(name: string, onClose: () => void): Promise<HTMLElement> {
  const path = `/api/nodes/${encodeURIComponent(name)}`;
  const detail = await getJson<NodeDetail>(path);
  const value = h('div', { class: 'value', id: 'value-preview' }, 'loading the stored value…');
  void getJson<ValuePreview>(`${path}/value`).then(
    (preview) => value.replaceChildren(...previewOf(preview)),
    (error: Error) => value.replaceChildren(h('p', { class: 'message' }, error.message)),
  );
  const last = detail.last;
  return h(
    'aside',
    { class: 'panel', id: 'node-panel', 'data-panel-node': detail.name },
    h('button', { class: 'close', 'aria-label': 'close', onclick: onClose }, '×'),
    h('h2', {}, detail.name),
    h(
      'p',
      { class: 'wiring' },
      `takes ${detail.inputs.join(', ') || 'nothing'}`,
      detail.map === undefined ? '' : `; mapped over ${detail.map}`,
      detail.location === undefined ? '' : ` · ${detail.location}`,
    ),
    last
      ? h(
          'p',
          { class: `status state-${last.state}`, id: 'node-status' },
          nodeMeta(last),
          last.reason === undefined ? '' : h('span', { class: 'why' }, ` · why: ${why(last)}`),
        )
      : h('p', { class: 'status state-not-run', id: 'node-status' }, 'not in any recorded run'),
    last?.error ? h('pre', { class: 'error' }, `${last.error.name}: ${last.error.message}`) : null,
    h('h3', {}, 'Signature'),
    detail.signature ? signatureOf(detail.signature) : h('p', {}, 'no signature recorded: never computed'),
    h('h3', {}, 'Stored value'),
    value,
    h('h3', {}, `History (${detail.history.length} runs)`),
    detail.history.length > 0 ? historyOf(detail.history) : h('p', {}, 'in no recorded run'),
  );
}

function signatureOf(signature: SignatureView): HTMLElement {
  const parts: [string, Record<string, string>][] = [
    ['code', signature.code],
    ['env', signature.env],
    ['inputs', signature.inputs],
    ['upstream', signature.deps],
  ];
  return h(
    'div',
    { class: 'signature', id: 'signature' },
    h(
      'p',
      {},
      'key ',
      h('code', { title: signature.key }, signature.key.slice(0, HASH_SHOWN)),
      ` · recorded ${when(signature.recordedAt)}`,
      signature.computeMs === undefined ? '' : ` · computed in ${duration(signature.computeMs)}`,
    ),
    table(
      ['part', 'name', 'hash'],
      parts.flatMap(([part, hashes]) =>
        Object.entries(hashes).map(([name, hash]) => [
          part,
          name,
          h('code', { title: hash }, hash.slice(0, HASH_SHOWN)),
        ]),
      ),
      { class: 'parts' },
    ),
  );
}

function previewOf(preview: ValuePreview): Node[] {
  const about: string[] = [];
  if (preview.bytes !== undefined) about.push(bytes(preview.bytes));
  if (preview.items) about.push(`showing ${preview.items.shown} of ${preview.items.stored} items`);
  const shown: Node[] = [];
  if (about.length > 0) shown.push(h('p', { class: 'about' }, about.join(' · ')));
  if (preview.text !== undefined) shown.push(h('pre', {}, preview.text));
  if (preview.message !== undefined) shown.push(h('p', { class: 'message' }, preview.message));
  return shown;
}

function historyOf(history: NodeHistoryEntry[]): HTMLElement {
  return table(
    ['run', 'state', 'why', 'time', 'size'],
    history.map((entry) => [
      h('a', { href: runPath(entry.runId), 'data-link': true }, when(entry.startedAt)),
      h('span', { class: `chip state-${entry.state}` }, stateLabel(entry.state)),
      why(entry),
      duration(entry.ms),
      bytes(entry.bytes),
    ]),
    { class: 'history' },
  );
}

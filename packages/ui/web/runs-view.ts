/** The runs page: the history (pick two to diff), one run's nodes, and the diff of two runs. */
import type { RunDetail, RunDiffView, RunHead } from '../src/types.ts';
import { diffPath, getJson, nodePath, runPath } from './api.ts';
import { h, table } from './dom.ts';
import { bytes, duration, stateLabel, when, why } from './format.ts';

const countsOf = (head: RunHead): string =>
  Object.entries(head.counts)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');

export async function runsList(): Promise<HTMLElement> {
  const { runs, history } = await getJson<{ runs: RunHead[]; history: boolean }>('/api/runs');
  if (!history)
    return h(
      'section',
      { class: 'page' },
      h('h1', {}, 'Runs'),
      h('p', {}, 'This cache keeps no run history.'),
    );
  const picked = new Set<string>();
  const compare = h(
    'a',
    { class: 'button disabled', id: 'diff-picked', 'aria-disabled': 'true' },
    'Diff the two picked runs',
  );
  const update = () => {
    const ids = runs.filter((run) => picked.has(run.id)).map((run) => run.id);
    const ready = ids.length === 2;
    compare.classList.toggle('disabled', !ready);
    compare.setAttribute('aria-disabled', String(!ready));
    // Older first: the diff reads from the earlier run to the later one.
    if (ready) compare.setAttribute('href', diffPath(ids[1]!, ids[0]!));
    else compare.removeAttribute('href');
  };
  const rows = runs.map((run) => [
    h('input', {
      type: 'checkbox',
      'aria-label': `pick ${run.id}`,
      'data-run': run.id,
      onchange: (event) => {
        if ((event.target as HTMLInputElement).checked) picked.add(run.id);
        else picked.delete(run.id);
        update();
      },
    }),
    h('a', { href: runPath(run.id), 'data-link': true }, run.id),
    when(run.startedAt),
    duration(run.durationMs),
    run.source,
    run.pipeline ?? '',
    countsOf(run),
  ]);
  return h(
    'section',
    { class: 'page' },
    h('h1', {}, `Runs (${runs.length})`),
    runs.length === 0
      ? h('p', {}, 'No run recorded yet.')
      : h(
          'div',
          {},
          h('p', {}, 'Pick two runs to see which nodes changed state between them, and why. ', compare),
          table(['', 'run', 'started', 'took', 'by', 'pipeline', 'nodes'], rows, { id: 'runs-table' }),
        ),
  );
}

export async function runDetail(id: string): Promise<HTMLElement> {
  const run = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`);
  return h(
    'section',
    { class: 'page' },
    h('h1', {}, `Run ${run.head.id}`),
    h(
      'p',
      {},
      `${when(run.head.startedAt)} · took ${duration(run.head.durationMs)} · ${run.head.source} · ${run.backend} cache · ${countsOf(run.head)}`,
    ),
    table(
      ['node', 'state', 'why', 'time', 'size', 'items'],
      run.nodes.map((node) => [
        h('a', { href: nodePath(node.node), 'data-link': true }, node.node),
        h('span', { class: `chip state-${node.state}` }, stateLabel(node.state)),
        node.error ? `${node.error.name}: ${node.error.message}` : why(node),
        duration(node.ms),
        bytes(node.bytes),
        node.items ? `${node.items.hits}/${node.items.total} hit` : '',
      ]),
      { id: 'run-nodes' },
    ),
  );
}

export async function runDiff(a: string, b: string): Promise<HTMLElement> {
  const diff = await getJson<RunDiffView>(`/api/diff/${encodeURIComponent(a)}/${encodeURIComponent(b)}`);
  return h(
    'section',
    { class: 'page' },
    h('h1', {}, 'What changed between two runs'),
    h(
      'p',
      {},
      'from ',
      h('a', { href: runPath(diff.a.id), 'data-link': true }, diff.a.id),
      ` (${when(diff.a.startedAt)}) to `,
      h('a', { href: runPath(diff.b.id), 'data-link': true }, diff.b.id),
      ` (${when(diff.b.startedAt)}): ${diff.changes.length} nodes changed state, ${diff.unchanged} did not`,
    ),
    diff.changes.length === 0
      ? h('p', { id: 'diff-none' }, 'Every node is in the same state in both runs.')
      : table(
          ['node', 'before', 'after', 'why'],
          diff.changes.map((change) => [
            h('a', { href: nodePath(change.node), 'data-link': true }, change.node),
            h('span', { class: `chip state-${change.from}` }, stateLabel(change.from)),
            h('span', { class: `chip state-${change.to}` }, stateLabel(change.to)),
            change.why.join('; '),
          ]),
          { id: 'diff-table' },
        ),
  );
}

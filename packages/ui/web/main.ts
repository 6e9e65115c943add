/**
 * The page: a router over the paths the server answers (`/`, `/node/:name`, `/runs`,
 * `/runs/:id`, `/runs/:a/diff/:b`, `/cache`), links followed without reloading, and live
 * updates redrawing what a new run or a prune changed.
 */
import { GRAPH_DRAWN_MARK, type GraphData, type LiveEvent, type StatusData } from '../src/types.ts';
import { ApiError, getJson, listen, nodePath } from './api.ts';
import { cachePage } from './cache-view.ts';
import { h } from './dom.ts';
import { GraphView } from './graph-view.ts';
import { nodePanel } from './node-panel.ts';
import { runDetail, runDiff, runsList } from './runs-view.ts';

const view = document.getElementById('view')!;
const liveNote = document.getElementById('live-note')!;

type Route =
  | { page: 'graph'; node?: string }
  | { page: 'runs' }
  | { page: 'run'; id: string }
  | { page: 'diff'; a: string; b: string }
  | { page: 'cache' }
  | { page: 'unknown' };

function routeOf(path: string): Route {
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  if (path === '/') return { page: 'graph' };
  if (parts[0] === 'node' && parts.length === 2) return { page: 'graph', node: parts[1]! };
  if (parts[0] === 'runs' && parts.length === 1) return { page: 'runs' };
  if (parts[0] === 'runs' && parts.length === 2) return { page: 'run', id: parts[1]! };
  if (parts[0] === 'runs' && parts.length === 4 && parts[2] === 'diff')
    return { page: 'diff', a: parts[1]!, b: parts[3]! };
  if (parts[0] === 'cache' && parts.length === 1) return { page: 'cache' };
  return { page: 'unknown' };
}

/** The graph is drawn once and kept while the page moves between its nodes. */
let graph: { view: GraphView; pane: HTMLElement; panel: HTMLElement } | undefined;
let route: Route = routeOf(location.pathname);

async function showGraph(node: string | undefined): Promise<void> {
  if (!graph) {
    const [data, status] = await Promise.all([
      getJson<GraphData>('/api/graph'),
      getJson<StatusData>('/api/status'),
    ]);
    document.getElementById('pipeline-label')!.textContent = data.pipeline;
    const graphView = new GraphView(data, (name) => navigate(nodePath(name)));
    shownRun = status.run?.id ?? null;
    graphView.setStatus(status);
    const panel = h('div', { class: 'panel-slot' });
    graph = { view: graphView, pane: h('div', { class: 'graph-page' }, graphView.element, panel), panel };
    view.replaceChildren(graph.pane);
    graphView.fit();
    document.body.dataset.graph = 'drawn';
    performance.mark(GRAPH_DRAWN_MARK);
  } else if (graph.pane.parentElement !== view) view.replaceChildren(graph.pane);
  graph.view.select(node);
  if (node === undefined) return void graph.panel.replaceChildren();
  graph.panel.replaceChildren(await nodePanel(node, () => navigate('/')));
}

async function render(): Promise<void> {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]'))
    link.classList.toggle(
      'current',
      link.dataset.nav === (route.page === 'graph' ? 'graph' : route.page === 'cache' ? 'cache' : 'runs'),
    );
  try {
    if (route.page === 'graph') return await showGraph(route.node);
    const page =
      route.page === 'runs'
        ? await runsList()
        : route.page === 'run'
          ? await runDetail(route.id)
          : route.page === 'diff'
            ? await runDiff(route.a, route.b)
            : route.page === 'cache'
              ? await cachePage()
              : h('p', { id: 'not-found' }, `No page ${location.pathname}.`);
    view.replaceChildren(page);
  } catch (error) {
    const message =
      error instanceof ApiError && error.status === 404 ? `Not found: ${error.message}.` : String(error);
    view.replaceChildren(
      h('section', { class: 'page' }, h('h1', {}, 'Not shown'), h('p', { id: 'not-found' }, message)),
    );
  }
}

function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, '', path);
  route = routeOf(path);
  void render();
}

document.addEventListener('click', (event) => {
  const link = (event.target as Element).closest('a');
  if (!link?.href || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  navigate(url.pathname);
});
window.addEventListener('popstate', () => {
  route = routeOf(location.pathname);
  void render();
});

/** The run whose states the graph shows (null: none yet). */
let shownRun: string | null = null;

async function showStatus(view: GraphView): Promise<void> {
  const status = await getJson<StatusData>('/api/status');
  shownRun = status.run?.id ?? null;
  view.setStatus(status);
}

async function onLive(event: LiveEvent): Promise<void> {
  if (event.type === 'ready') {
    if (graph && event.newest !== shownRun) await showStatus(graph.view);
    return;
  }
  liveNote.textContent =
    event.type === 'run' ? `new run ${event.run.id}` : `entries of ${event.node} removed`;
  if (event.type === 'run' && graph) await showStatus(graph.view);
  const current = route.page;
  const redraw =
    (event.type === 'run' && (current === 'runs' || (current === 'graph' && route.node !== undefined))) ||
    (event.type === 'cache' && (current === 'cache' || current === 'graph'));
  if (redraw) await render();
}

listen((event) => void onLive(event));
void render();

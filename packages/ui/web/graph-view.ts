/**
 * The pipeline's graph as SVG, as the server laid it out: boxes coloured by the last run's state
 * with time and size, edges as routed lines; drag to pan, wheel to zoom, click a node to select.
 */
import { type GraphBox, type GraphData, NODE_STATES, type NodeState, type StatusData } from '../src/types.ts';
import { h, s } from './dom.ts';
import { nodeMeta, stateLabel } from './format.ts';

interface DrawnNode {
  box: SVGGElement;
  meta: SVGTextElement;
}

export class GraphView {
  readonly element: HTMLElement;
  readonly #svg: SVGSVGElement;
  readonly #viewport: SVGGElement;
  readonly #legend: HTMLElement;
  readonly #nodes = new Map<string, DrawnNode>();
  readonly #graph: GraphData;
  #transform = { x: 0, y: 0, k: 1 };
  #selected: string | undefined;

  constructor(graph: GraphData, onSelect: (name: string) => void) {
    this.#graph = graph;
    this.#viewport = s('g', { class: 'viewport' });
    this.#svg = s(
      'svg',
      { class: 'graph', role: 'img', 'aria-label': `graph of ${graph.pipeline}` },
      s(
        'defs',
        {},
        s(
          'marker',
          {
            id: 'arrow',
            viewBox: '0 0 10 10',
            refX: 10,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: 'auto',
          },
          s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }),
        ),
      ),
      this.#viewport,
    );
    this.#legend = h('div', { class: 'legend' });
    this.element = h('section', { class: 'graph-pane' }, this.#legend, this.#svg);
    this.#draw(onSelect);
    this.#enablePanZoom();
  }

  /** Colours every node by `status` and writes its time and size. */
  setStatus(status: StatusData): void {
    const counts = new Map<NodeState, number>();
    for (const [name, drawn] of this.#nodes) {
      const view = status.nodes[name];
      const state: NodeState = view?.state ?? 'not-run';
      counts.set(state, (counts.get(state) ?? 0) + 1);
      drawn.box.setAttribute('data-state', state);
      drawn.box.setAttribute('class', `box node state-${state}${name === this.#selected ? ' selected' : ''}`);
      drawn.meta.textContent = nodeMeta(view);
    }
    this.#legend.replaceChildren(
      h(
        'span',
        { class: 'run-note' },
        status.run
          ? `last run ${status.run.id}`
          : status.history
            ? 'no run recorded yet: every node shows "not run"'
            : 'this cache keeps no run history',
      ),
      ...NODE_STATES.filter((state) => counts.has(state)).map((state) =>
        h('span', { class: `chip state-${state}` }, `${counts.get(state)} ${stateLabel(state)}`),
      ),
    );
  }

  /** Highlights the node `name` (none: no highlight). */
  select(name: string | undefined): void {
    if (this.#selected !== undefined) this.#nodes.get(this.#selected)?.box.classList.remove('selected');
    this.#selected = name;
    if (name !== undefined) this.#nodes.get(name)?.box.classList.add('selected');
  }

  /** Scales the graph to fit its pane (never above 1:1). */
  fit(): void {
    const { width, height } = this.#svg.getBoundingClientRect();
    if (width === 0 || height === 0) return;
    const k = Math.min(1, width / Math.max(1, this.#graph.width), height / Math.max(1, this.#graph.height));
    this.#setTransform({
      k,
      x: (width - this.#graph.width * k) / 2,
      y: Math.max(0, (height - this.#graph.height * k) / 2),
    });
  }

  #draw(onSelect: (name: string) => void): void {
    const edges = s('g', { class: 'edges' });
    for (const edge of this.#graph.edges) {
      const [first, ...rest] = edge.points;
      if (!first) continue;
      const d = `M${first[0]},${first[1]}${rest.map(([x, y]) => `L${x},${y}`).join('')}`;
      edges.append(s('path', { d, class: 'edge', 'marker-end': 'url(#arrow)' }));
    }
    const boxes = s('g', { class: 'boxes' });
    for (const box of this.#graph.boxes) boxes.append(this.#drawBox(box, onSelect));
    this.#viewport.append(edges, boxes);
  }

  #drawBox(box: GraphBox, onSelect: (name: string) => void): SVGGElement {
    const left = box.x - box.width / 2;
    const top = box.y - box.height / 2;
    const label = box.map === undefined ? box.name : `${box.name}[]`;
    if (box.kind === 'input') {
      return s(
        'g',
        { class: 'box input', transform: `translate(${left},${top})`, 'data-input': box.name },
        s('rect', { width: box.width, height: box.height, rx: box.height / 2 }),
        s('text', { x: box.width / 2, y: box.height / 2 + 4, 'text-anchor': 'middle' }, label),
        s('title', {}, `input ${box.name}`),
      );
    }
    const meta = s('text', { x: 10, y: 35, class: 'meta' }, 'not run');
    const group = s(
      'g',
      {
        class: 'box node state-not-run',
        transform: `translate(${left},${top})`,
        'data-node': box.name,
        'data-state': 'not-run',
        tabindex: 0,
        role: 'button',
        'aria-label': `node ${box.name}`,
        onclick: () => onSelect(box.name),
        onkeydown: (event) => {
          if ((event as KeyboardEvent).key === 'Enter') onSelect(box.name);
        },
      },
      s('rect', { width: box.width, height: box.height, rx: 6 }),
      s('text', { x: 10, y: 18, class: 'name' }, label),
      meta,
      s('title', {}, box.map === undefined ? box.name : `${box.name}, mapped over ${box.map}`),
    );
    this.#nodes.set(box.name, { box: group, meta });
    return group;
  }

  #setTransform(transform: { x: number; y: number; k: number }): void {
    this.#transform = transform;
    this.#viewport.setAttribute(
      'transform',
      `translate(${transform.x},${transform.y}) scale(${transform.k})`,
    );
  }

  #enablePanZoom(): void {
    let drag: { x: number; y: number; moved: boolean } | undefined;
    this.#svg.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY, moved: false };
    });
    this.#svg.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag = { x: event.clientX, y: event.clientY, moved: true };
      this.#setTransform({ ...this.#transform, x: this.#transform.x + dx, y: this.#transform.y + dy });
    });
    // A drag that moved is not a click on the node it ended on.
    this.#svg.addEventListener(
      'click',
      (event) => {
        if (drag?.moved) event.stopPropagation();
        drag = undefined;
      },
      true,
    );
    this.#svg.addEventListener('pointerup', () => {
      if (!drag?.moved) drag = undefined;
    });
    this.#svg.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const { left, top } = this.#svg.getBoundingClientRect();
        const { x, y, k } = this.#transform;
        const next = Math.min(4, Math.max(0.02, k * Math.exp(-event.deltaY * 0.0015)));
        const px = event.clientX - left;
        const py = event.clientY - top;
        this.#setTransform({ k: next, x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k });
      },
      { passive: false },
    );
  }
}

// Lay out a definition's graph with dagre (vendored) and draw it as SVG.
import dagre from '../vendor/dagre.esm.js';
import { buildModel } from './graphmodel.js';
import { svg } from './dom.js';

const CHAR = 7.2;
const LABEL_CHAR = 6.2;

function nodeSize(node) {
  if (node.kind === 'terminal') return { width: 64, height: 28 };
  if (node.kind === 'join') return { width: Math.max(90, node.name.length * LABEL_CHAR + 20), height: 22 };
  const marked = node.retry || node.catch;
  return { width: Math.max(marked ? 130 : 120, node.name.length * CHAR + 36), height: marked ? 54 : 44 };
}

export function layout(model) {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, edgesep: 14, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const cluster of model.clusters) g.setNode(cluster.id, { label: cluster.name, clusterLabelPos: 'top' });
  for (const cluster of model.clusters) if (cluster.parent) g.setParent(cluster.id, cluster.parent);
  for (const node of model.nodes) {
    g.setNode(node.id, { ...nodeSize(node) });
    if (node.parent) g.setParent(node.id, node.parent);
  }
  model.edges.forEach((edge, index) => {
    const label = edge.label ? { width: edge.label.length * LABEL_CHAR + 8, height: 16, labelpos: 'c' } : {};
    g.setEdge(edge.from, edge.to, { ...label, minlen: edge.kind === 'hidden' ? 1 : 1 }, `e${index}`);
  });
  dagre.layout(g);
  return g;
}

function pathOf(points) {
  const [first, ...rest] = points;
  if (rest.length === 0) return '';
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const mid = { x: (rest[i].x + rest[i + 1].x) / 2, y: (rest[i].y + rest[i + 1].y) / 2 };
    d += ` Q${rest[i].x},${rest[i].y} ${mid.x},${mid.y}`;
  }
  const last = rest[rest.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function defs() {
  const arrow = (id) => svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z', class: `arrow ${id}` }));
  return svg('defs', {}, arrow('arrow-next'), arrow('arrow-catch'), arrow('arrow-choice'));
}

function drawCluster(g, cluster) {
  const box = g.node(cluster.id);
  if (!box || box.width === undefined) return null;
  const x = box.x - box.width / 2;
  const y = box.y - box.height / 2;
  return svg('g', { class: 'cluster', 'data-cluster': cluster.id },
    svg('rect', { x, y, width: box.width, height: box.height, rx: 8 }),
    svg('text', { x: x + 8, y: y + 13, class: 'cluster-label' }, cluster.name));
}

function drawEdge(g, edge, index) {
  if (edge.kind === 'hidden') return null;
  const data = g.edge({ v: edge.from, w: edge.to, name: `e${index}` });
  if (!data || !data.points) return null;
  const group = svg('g', { class: `edge edge-${edge.kind}` },
    svg('path', { d: pathOf(data.points), 'marker-end': `url(#arrow-${edge.kind})` }));
  if (edge.label && data.x !== undefined) {
    const width = edge.label.length * LABEL_CHAR + 8;
    group.append(svg('rect', { class: 'edge-label-bg', x: data.x - width / 2, y: data.y - 8, width, height: 16, rx: 3 }),
      svg('text', { class: 'edge-label', x: data.x, y: data.y + 4, 'text-anchor': 'middle' }, edge.label));
  }
  return group;
}

function drawNode(g, node) {
  const box = g.node(node.id);
  const x = box.x - box.width / 2;
  const y = box.y - box.height / 2;
  const name = node.kind === 'state' ? node.name : node.state || null;
  const group = svg('g', { class: `node node-${node.kind} st-notreached`, 'data-node': node.id, dataset: name ? { state: name } : {} });
  if (node.kind === 'terminal') {
    group.append(svg('rect', { x, y, width: box.width, height: box.height, rx: 14 }),
      svg('text', { x: box.x, y: box.y + 4, 'text-anchor': 'middle' }, node.name));
    return group;
  }
  if (node.kind === 'join') {
    group.append(svg('rect', { x, y, width: box.width, height: box.height, rx: 11 }),
      svg('text', { x: box.x, y: box.y + 4, 'text-anchor': 'middle', class: 'join-label' }, node.name));
    return group;
  }
  group.setAttribute('tabindex', '0');
  group.setAttribute('role', 'button');
  group.append(svg('title', {}, `${node.name} (${node.type})${node.retry ? ' · Retry' : ''}${node.catch ? ' · Catch' : ''}`),
    svg('rect', { x, y, width: box.width, height: box.height, rx: 6 }),
    svg('text', { x: box.x, y: y + 19, 'text-anchor': 'middle', class: 'node-name' }, node.name),
    svg('text', { x: box.x, y: y + 34, 'text-anchor': 'middle', class: 'node-type' }, node.type));
  const marks = [node.retry ? '↻ Retry' : '', node.catch ? '⚑ Catch' : ''].filter(Boolean).join('  ');
  if (marks) group.append(svg('text', { x: box.x, y: y + 48, 'text-anchor': 'middle', class: 'node-marks' }, marks));
  return group;
}

/** Draw ``definition`` (a parsed object); returns {element, setStatuses(map), select(name)}. */
export function drawGraph(definition, { onSelect } = {}) {
  const model = buildModel(definition);
  const g = layout(model);
  const { width = 200, height = 100 } = g.graph();
  const root = svg('svg', { class: 'graph', viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, width: Math.ceil(width), height: Math.ceil(height), role: 'img', 'aria-label': 'state machine graph' }, defs());
  const depth = (c) => (c.parent ? 1 + depth(model.clusters.find((o) => o.id === c.parent) || {}) : 0);
  [...model.clusters].sort((a, b) => depth(a) - depth(b)).forEach((c) => { const d = drawCluster(g, c); if (d) root.append(d); });
  model.edges.forEach((edge, i) => { const d = drawEdge(g, edge, i); if (d) root.append(d); });
  for (const node of model.nodes) root.append(drawNode(g, node));
  root.addEventListener('click', (event) => {
    const target = event.target.closest('[data-state]');
    if (target && onSelect) onSelect(target.dataset.state);
  });
  root.addEventListener('keydown', (event) => {
    const target = event.target.closest('[data-state]');
    if (target && onSelect && (event.key === 'Enter' || event.key === ' ')) onSelect(target.dataset.state);
  });
  return {
    element: root,
    setStatuses(statuses) {
      for (const node of root.querySelectorAll('[data-state]')) {
        const status = statuses[node.dataset.state] || 'notreached';
        node.setAttribute('class', node.getAttribute('class').replace(/st-\w+/, `st-${status}`));
        node.dataset.status = status;
      }
    },
    select(name) {
      for (const node of root.querySelectorAll('.selected')) node.classList.remove('selected');
      for (const node of root.querySelectorAll('[data-state]')) if (node.dataset.state === name && node.classList.contains('node-state')) node.classList.add('selected');
    },
  };
}

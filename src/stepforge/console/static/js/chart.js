// A small SVG line chart: a few series over the same x values, with axes, ticks and a legend.
import { el, svg } from './dom.js';

const WIDTH = 560, HEIGHT = 180, LEFT = 36, RIGHT = 8, TOP = 10, BOTTOM = 24;

function niceMax(value) {
  if (value <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

function clock(seconds) {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * lineChart(xs, series, {title}) — xs: epoch seconds; series: [{name, values, cls}] of xs' length.
 * Each series is a polyline with class `series ${cls}` and a data-total attribute (its sum).
 */
export function lineChart(xs, series, { title = '' } = {}) {
  const top = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i) => LEFT + (i * (WIDTH - LEFT - RIGHT)) / Math.max(1, xs.length - 1);
  const y = (v) => TOP + (HEIGHT - TOP - BOTTOM) * (1 - v / top);
  const grid = [0, top / 2, top].map((v) => svg('g', { class: 'tick' },
    svg('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: y(v), y2: y(v) }),
    svg('text', { x: LEFT - 4, y: y(v) + 4, 'text-anchor': 'end' }, String(Math.round(v)))));
  const labels = xs.map((t, i) => [t, i]).filter(([, i]) => i % 15 === 0 || i === xs.length - 1)
    .map(([t, i]) => svg('text', { x: x(i), y: HEIGHT - 6, 'text-anchor': 'middle' }, clock(t)));
  const lines = series.map((s) => svg('polyline', {
    class: `series ${s.cls}`, 'data-series': s.name, 'data-total': s.values.reduce((a, b) => a + b, 0),
    points: s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
  }));
  const legend = el('div', { class: 'legend' }, ...series.map((s) => el('span', { class: `key ${s.cls}` },
    `${s.name} (${s.values.reduce((a, b) => a + b, 0)})`)));
  return el('figure', { class: 'chart' },
    title ? el('figcaption', {}, title) : null,
    svg('svg', { class: 'line-chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title },
      ...grid, ...labels, ...lines),
    legend);
}

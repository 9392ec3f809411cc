// A Gantt view: one bar per state run (and its tasks), on a shared time axis.
import { el, duration } from './dom.js';

export function drawTimeline(execution, ended) {
  const rows = [];
  for (const record of Object.values(execution.states)) {
    record.runs.forEach((run, index) => rows.push({ label: record.runs.length > 1 ? `${record.name} #${index + 1}` : record.name, start: run.entered, end: run.exited, status: run.status, kind: 'state' }));
    record.tasks.forEach((task) => rows.push({ label: `  ↳ task ${task.resource ? task.resource.split(':').pop() : ''}`, start: task.scheduled, end: task.ended, status: task.status || 'running', kind: 'task' }));
  }
  if (rows.length === 0) return el('p', { class: 'muted' }, 'No states entered yet.');
  rows.sort((a, b) => a.start - b.start);
  const start = Math.min(...rows.map((r) => r.start));
  const now = ended ?? Date.now() / 1000;
  const end = Math.max(now, ...rows.map((r) => r.end ?? now));
  const span = Math.max(end - start, 0.001);
  const chart = el('div', { class: 'timeline' },
    el('div', { class: 'tl-axis' }, el('span', {}, '0'), el('span', {}, duration(start, end))));
  for (const row of rows) {
    const bar = el('div', { class: `tl-bar st-${row.status}`, title: `${row.label.trim()}: ${duration(row.start, row.end ?? now)}` });
    bar.style.left = `${((row.start - start) / span) * 100}%`;
    bar.style.width = `${Math.max((((row.end ?? now) - row.start) / span) * 100, 0.4)}%`;
    chart.append(el('div', { class: `tl-row tl-${row.kind}` },
      el('div', { class: 'tl-label' }, row.label), el('div', { class: 'tl-track' }, bar),
      el('div', { class: 'tl-duration' }, duration(row.start, row.end ?? now))));
  }
  return chart;
}

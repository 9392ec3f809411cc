// The event history table: one row per event, a click shows its details.
import { el, code, time } from './dom.js';

function summary(event) {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  const details = key ? event[key] : {};
  return details.name ?? details.error ?? details.resource ?? (details.index !== undefined ? `iteration ${details.index}` : '');
}

function kind(type) {
  if (/Failed|TimedOut|Aborted/.test(type)) return 'ev-failed';
  if (/Succeeded|Exited/.test(type)) return 'ev-ok';
  return '';
}

export class HistoryTable {
  constructor() {
    this.body = el('tbody');
    this.start = null;
    this.element = el('table', { class: 'history' },
      el('thead', {}, el('tr', {}, el('th', {}, 'ID'), el('th', {}, 'Type'), el('th', {}, 'Step'),
        el('th', {}, 'Elapsed'), el('th', {}, 'Time'))), this.body);
  }

  add(events) {
    for (const event of events) {
      if (this.start === null) this.start = event.timestamp;
      const row = el('tr', { class: `event-row ${kind(event.type)}`, tabindex: 0, dataset: { eventId: event.id } },
        el('td', {}, String(event.id)), el('td', {}, el('span', { class: 'toggle' }, '▸ '), event.type),
        el('td', {}, String(summary(event))), el('td', {}, `${Math.round((event.timestamp - this.start) * 1000)} ms`),
        el('td', {}, time(event.timestamp)));
      row.addEventListener('click', () => this.toggle(row, event));
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.toggle(row, event); });
      this.body.append(row);
    }
  }

  toggle(row, event) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains('event-details')) {
      next.remove();
      row.querySelector('.toggle').textContent = '▸ ';
      return;
    }
    row.querySelector('.toggle').textContent = '▾ ';
    const shown = { ...event };
    for (const [key, value] of Object.entries(shown)) {
      if (!key.endsWith('EventDetails')) continue;
      shown[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => {
        if (typeof v !== 'string' || !/^(input|output|parameters)$/.test(k)) return [k, v];
        try { return [k, JSON.parse(v)]; } catch { return [k, v]; }
      }));
    }
    row.after(el('tr', { class: 'event-details' }, el('td', { colspan: 5 }, code(JSON.stringify(shown)))));
  }
}

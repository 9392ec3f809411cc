// The dashboard: executions started/succeeded/failed per minute per state machine, the slowest states, the load.
import { get } from '../api.js';
import { el, fill, link, mount, notice, page } from '../dom.js';
import { lineChart } from '../chart.js';

const REFRESH_MS = 10000;
const SERIES = [['started', 'started'], ['succeeded', 'succeeded'], ['failed', 'failed']];

function machineName(arn) {
  return String(arn).split(':').pop();
}

function charts(figures) {
  const machines = Object.entries(figures.machines);
  if (machines.length === 0) return el('p', { class: 'muted' }, 'No execution started or ended in the last hour.');
  return el('div', { class: 'charts' }, ...machines.map(([arn, series]) => el('section', { class: 'machine-chart', 'data-machine': arn },
    el('h3', {}, link(page('/console/machine', { arn }), machineName(arn))),
    lineChart(figures.minutes, SERIES.map(([name, cls]) => ({ name, cls, values: series[name] })),
      { title: `${machineName(arn)}: executions per minute` }))));
}

function seconds(value) {
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
}

function slowest(rows) {
  if (rows.length === 0) return el('p', { class: 'muted' }, 'No state has run yet.');
  return el('table', { class: 'list slowest' },
    el('thead', {}, el('tr', {}, ...['State', 'State machine', 'Runs', 'Average', 'Longest'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, el('td', {}, r.state), el('td', {}, machineName(r.stateMachineArn)),
      el('td', {}, String(r.count)), el('td', {}, seconds(r.averageSeconds)), el('td', {}, seconds(r.longestSeconds))))));
}

function load(figures) {
  const items = [['Running executions', figures.load.openExecutions], ['Long polls waiting', figures.load.longPolls],
    ['Engine batches this minute', figures.load.batchesLastMinute], ['Work items this minute', figures.load.workLastMinute]];
  return el('dl', { class: 'load' }, ...items.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, String(value))]));
}

async function show(body) {
  const figures = await get('dashboard');
  if (!figures.enabled) {
    fill(body, notice('Metrics are off on this server ([metrics] enabled = false).', 'info'));
    return;
  }
  fill(body, el('h2', {}, 'Load now'), load(figures), el('h2', {}, 'Executions, last hour'), charts(figures),
    el('h2', {}, 'Slowest states'), slowest(figures.slowest));
}

export async function render() {
  const body = el('div', { class: 'dashboard' });
  mount(el('h1', {}, 'Dashboard'), el('p', { class: 'meta' }, 'This server since it started; refreshed every 10 s. ',
    link('/metrics', 'Prometheus metrics')), body);
  try {
    await show(body);
    setInterval(() => show(body).catch(() => {}), REFRESH_MS);
  } catch (error) {
    fill(body, notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

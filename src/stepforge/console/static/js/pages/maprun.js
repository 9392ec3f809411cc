// A Map Run's progress, live: counts by status, a progress bar, the rate, and the failed items with their errors.
import { get } from '../api.js';
import { badge, duration, el, fill, link, mount, notice, page, param, time } from '../dom.js';

const POLL_MS = 1000;
const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'timedOut', 'aborted', 'total', 'resultsWritten'];

function countsTable(counts, executions) {
  return el('table', { class: 'list map-run-counts' },
    el('thead', {}, el('tr', {}, el('th', {}, ''), ...STATUSES.map((s) => el('th', {}, s)))),
    el('tbody', {},
      el('tr', {}, el('th', {}, 'items'), ...STATUSES.map((s) => el('td', { dataset: { count: s } }, String(counts[s] ?? 0)))),
      el('tr', {}, el('th', {}, 'child executions'), ...STATUSES.map((s) => el('td', {}, String(executions[s] ?? 0))))));
}

function failedTable(items) {
  if (!items.length) return el('p', { class: 'muted' }, 'No failed items.');
  return el('table', { class: 'list failed-items' },
    el('thead', {}, el('tr', {}, ...['Item', 'Status', 'Execution', 'Error', 'Cause'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...items.map((item) => el('tr', { class: 'failed-item' },
      el('td', {}, String(item.index)), el('td', {}, badge(item.status)),
      el('td', {}, item.executionArn ? link(page('/console/execution', { arn: item.executionArn }), item.executionArn.split(':').pop()) : ''),
      el('td', { class: 'error' }, item.error || ''), el('td', { class: 'cause' }, item.cause || '')))));
}

class MapRunPage {
  constructor(arn) {
    this.arn = arn;
    this.samples = [];
    this.body = el('div', { class: 'map-run' });
  }

  async start() {
    mount(el('h1', {}, 'Map Run ', el('span', { class: 'name' }, this.arn.split(':').pop())), this.body);
    while (true) {
      const { mapRun, phase, failedItems } = await get('maprun', { arn: this.arn });
      this.show(mapRun, phase, failedItems);
      document.body.dataset.status = mapRun.status;
      if (mapRun.status !== 'RUNNING') return;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  rate(done) {
    const now = Date.now() / 1000;
    this.samples.push([now, done]);
    while (this.samples.length > 10) this.samples.shift();
    const [t0, d0] = this.samples[0];
    return now > t0 ? (done - d0) / (now - t0) : 0;
  }

  show(run, phase, failedItems) {
    const counts = run.itemCounts;
    const done = counts.succeeded + counts.failed + counts.timedOut + counts.aborted;
    const rate = this.rate(done);
    const percent = counts.total ? Math.floor((100 * done) / counts.total) : 0;
    const left = counts.total - done;
    const eta = run.status === 'RUNNING' && rate > 0 && phase !== 'READING' ? ` · about ${duration(0, left / rate)} left` : '';
    const parent = run.executionArn;
    fill(this.body,
      el('div', { class: 'meta' }, el('span', { id: 'map-run-status' }, badge(run.status)),
        ' execution ', link(page('/console/execution', { arn: parent }), parent.split(':').pop()),
        ` · started ${time(run.startDate)}`, run.stopDate ? ` · ended ${time(run.stopDate)}` : '',
        ` · ${duration(run.startDate, run.stopDate)}`,
        ` · max concurrency ${run.maxConcurrency || 'unlimited'}`,
        run.redriveCount ? ` · redriven ${run.redriveCount}×` : ''),
      phase === 'READING' ? el('p', { class: 'muted', id: 'map-run-phase' }, 'Reading items…') : null,
      phase === 'WRITING' ? el('p', { class: 'muted', id: 'map-run-phase' }, 'Writing results…') : null,
      el('div', { class: 'map-run-progress' },
        el('progress', { id: 'map-run-bar', max: String(counts.total || 1), value: String(done) }),
        el('span', { id: 'map-run-percent' }, ` ${done.toLocaleString()} of ${counts.total.toLocaleString()} items (${percent} %)`),
        el('span', { id: 'map-run-rate' }, run.status === 'RUNNING' ? ` · ${rate.toFixed(1)} items/s${eta}` : '')),
      countsTable(counts, run.executionCounts),
      el('h2', {}, `Failed items (${counts.failed + counts.timedOut + counts.aborted})`), failedTable(failedItems));
  }
}

export async function render() {
  const arn = param('arn');
  if (!arn) return mount(notice('No Map Run given.'));
  try {
    await new MapRunPage(arn).start();
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

// Executions: filter by machine, status, name and start time; page through; stop or redrive.
import { aws, get } from '../api.js';
import { badge, fill, duration, el, link, mount, notice, page, param, time } from '../dom.js';

const STATUSES = ['', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const PAGE = 25;

function toSeconds(value) {
  return value ? String(new Date(value).getTime() / 1000) : '';
}

class ExecutionsPage {
  constructor() {
    this.machine = param('machine');
    this.status = el('select', { id: 'status-filter' }, ...STATUSES.map((s) => el('option', { value: s }, s || 'any status')));
    this.status.value = param('status');
    this.query = el('input', { type: 'search', id: 'name-filter', placeholder: 'name contains', value: param('q') });
    this.from = el('input', { type: 'datetime-local', id: 'from-filter', value: param('from') });
    this.to = el('input', { type: 'datetime-local', id: 'to-filter', value: param('to') });
    this.offset = Number(param('offset') || 0);
    this.body = el('tbody');
    this.pager = el('div', { class: 'pager' });
    this.messages = el('div');
  }

  filters() {
    return { machine: this.machine, status: this.status.value, q: this.query.value, from: this.from.value, to: this.to.value };
  }

  async load() {
    const f = this.filters();
    history.replaceState(null, '', page('/console/executions', { ...f, offset: this.offset || '' }));
    try {
      const result = await get('executions', { ...f, from: toSeconds(f.from), to: toSeconds(f.to), offset: this.offset, limit: PAGE });
      fill(this.body, ...result.executions.map((e) => this.row(e)));
      if (result.executions.length === 0) this.body.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No executions match.')));
      this.drawPager(result);
    } catch (error) {
      fill(this.messages, notice(error.message));
    }
  }

  drawPager({ total, offset }) {
    const go = (to) => { this.offset = to; this.load(); };
    fill(this.pager, 
      el('button', { type: 'button', disabled: offset === 0, onclick: () => go(Math.max(offset - PAGE, 0)) }, '← Newer'),
      el('span', {}, ` ${total ? offset + 1 : 0}–${Math.min(offset + PAGE, total)} of ${total} `),
      el('button', { type: 'button', disabled: offset + PAGE >= total, onclick: () => go(offset + PAGE) }, 'Older →'));
  }

  row(e) {
    const actions = el('td', { class: 'row-actions' });
    if (e.status === 'RUNNING') actions.append(el('button', { type: 'button', class: 'danger small', onclick: () => this.act('StopExecution', e) }, 'Stop'));
    if (['FAILED', 'TIMED_OUT', 'ABORTED'].includes(e.status)) actions.append(el('button', { type: 'button', class: 'small', onclick: () => this.act('RedriveExecution', e) }, 'Redrive'));
    return el('tr', { class: 'execution-row' },
      el('td', {}, link(page('/console/execution', { arn: e.executionArn }), e.name, { class: 'execution-link' })),
      el('td', {}, link(page('/console/machine', { arn: e.stateMachineArn }), e.stateMachineName)),
      el('td', {}, badge(e.status)), el('td', {}, time(e.startDate)),
      el('td', {}, duration(e.startDate, e.stopDate)), actions);
  }

  async act(operation, execution) {
    try {
      await aws(operation, { executionArn: execution.executionArn });
      setTimeout(() => this.load(), 300);
    } catch (error) {
      fill(this.messages, notice(`${error.code}: ${error.message}`));
    }
  }

  render() {
    let timer;
    const reload = () => { clearTimeout(timer); timer = setTimeout(() => { this.offset = 0; this.load(); }, 200); };
    for (const input of [this.status, this.query, this.from, this.to]) input.addEventListener('input', reload);
    mount(el('h1', {}, 'Executions'),
      this.machine ? el('p', { class: 'meta' }, 'of ', link(page('/console/machine', { arn: this.machine }), this.machine.split(':').pop()),
        ' · ', link('/console/executions', 'all machines')) : null,
      el('div', { class: 'filters' }, el('label', {}, 'Status ', this.status), el('label', {}, 'Name ', this.query),
        el('label', {}, 'Started after ', this.from), el('label', {}, 'before ', this.to)),
      this.messages,
      el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Name', 'State machine', 'Status', 'Started', 'Duration', ''].map((h) => el('th', {}, h)))), this.body),
      this.pager);
    return this.load();
  }
}

export function render() {
  return new ExecutionsPage().render();
}

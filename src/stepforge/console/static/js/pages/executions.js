// Executions: filter by machine, status, name and start time; page through newest first; stop or redrive.
import { aws, get } from '../api.js';
import { Pager } from '../pager.js';
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
    this.body = el('tbody');
    this.messages = el('div');
    this.pager = new Pager((token) => this.fetch(token), (found) => this.show(found),
      { onError: (error) => this.failed(error), saved: history.state?.executions });
  }

  filters() {
    return { machine: this.machine, status: this.status.value, q: this.query.value, from: this.from.value, to: this.to.value };
  }

  fetch(token) {
    const f = this.filters();
    return get('executions', { ...f, from: toSeconds(f.from), to: toSeconds(f.to), limit: PAGE, next: token });
  }

  show(found) {
    fill(this.messages, found.source === 'logs' ? el('p', { class: 'meta', id: 'express-note' },
      'EXPRESS executions keep no history: these are the ones running here and those the execution logs showed ending lately.') : null);
    fill(this.body, ...found.executions.map((e) => this.row(e, found.source === 'logs')));
    if (found.executions.length === 0) this.body.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No executions match.')));
    history.replaceState({ executions: this.pager.state }, '', page('/console/executions', this.filters()));
  }

  /** A page kept in history.state may hold a token the server no longer takes: start over. */
  failed(error) {
    if (error.code === 'InvalidToken' && this.pager.token) return this.pager.first();
    fill(this.messages, notice(error.message));
  }

  /** The current page again (after a filter change: the first page). */
  load(fromStart = false) {
    return fromStart ? this.pager.first() : this.pager.show();
  }

  row(e, express = false) {
    const actions = el('td', { class: 'row-actions' });
    if (express) {
      return el('tr', { class: 'execution-row express' }, el('td', {}, el('span', { title: e.executionArn }, e.name)),
        el('td', {}, link(page('/console/machine', { arn: e.stateMachineArn }), e.stateMachineName)),
        el('td', {}, badge(e.status)), el('td', {}, time(e.startDate)), el('td', {}, duration(e.startDate, e.stopDate)), actions);
    }
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
    const reload = () => { clearTimeout(timer); timer = setTimeout(() => this.load(true), 200); };
    for (const input of [this.status, this.query, this.from, this.to]) input.addEventListener('input', reload);
    mount(el('h1', {}, 'Executions'),
      this.machine ? el('p', { class: 'meta' }, 'of ', link(page('/console/machine', { arn: this.machine }), this.machine.split(':').pop()),
        ' · ', link('/console/executions', 'all machines')) : null,
      el('div', { class: 'filters' }, el('label', {}, 'Status ', this.status), el('label', {}, 'Name ', this.query),
        el('label', {}, 'Started after ', this.from), el('label', {}, 'before ', this.to)),
      this.messages,
      el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Name', 'State machine', 'Status', 'Started', 'Duration', ''].map((h) => el('th', {}, h)))), this.body),
      this.pager.element);
    return this.load();
  }
}

export function render() {
  return new ExecutionsPage().render();
}

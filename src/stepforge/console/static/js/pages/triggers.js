// Schedules (with their next firings), event rules and webhooks, with the executions each started.
import { get } from '../api.js';
import { badge, el, link, mount, notice, page, time } from '../dom.js';

function started(executions) {
  if (!executions.length) return el('span', { class: 'muted' }, 'none yet');
  return el('ul', { class: 'started' }, ...executions.map((e) => el('li', { class: 'started-execution' },
    badge(e.status), ' ', link(page('/console/execution', { arn: e.executionArn }), e.name), ' ',
    el('span', { class: 'muted' }, time(e.startDate)))));
}

function firings(list) {
  if (!list.length) return el('span', { class: 'muted' }, '—');
  return el('ul', { class: 'firings' }, ...list.map((t) => el('li', { class: 'next-firing' }, time(t))));
}

function target(arn) {
  return link(page('/console/machine', { arn }), arn.split(':').slice(6).join(':') || arn);
}

function table(headings, rows, empty) {
  if (!rows.length) return el('p', { class: 'muted' }, empty);
  return el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...headings.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows));
}

function scheduleRow(s) {
  return el('tr', { class: 'schedule-row', dataset: { name: s.name } },
    el('td', {}, s.name, el('div', { class: 'muted' }, s.group)), el('td', {}, el('code', {}, s.expression),
      el('div', { class: 'muted' }, s.timezone)), el('td', {}, s.state), el('td', {}, target(s.target)),
    el('td', {}, firings(s.nextFirings)), el('td', {}, started(s.started)));
}

function ruleRow(r) {
  return el('tr', { class: 'rule-row', dataset: { name: r.name } },
    el('td', {}, r.name), el('td', {}, el('code', {}, r.pattern || r.schedule)), el('td', {}, r.state),
    el('td', {}, ...r.targets.map((arn) => el('div', {}, target(arn)))), el('td', {}, firings(r.nextFirings)),
    el('td', {}, started(r.started)));
}

function webhookRow(w) {
  return el('tr', { class: 'webhook-row', dataset: { name: w.name } },
    el('td', {}, w.name), el('td', {}, el('code', {}, `POST ${w.url}`)), el('td', {}, `${w.mode}, ${w.auth}`),
    el('td', {}, target(w.stateMachineArn)), el('td', {}, started(w.started)));
}

export async function render() {
  try {
    const { schedules, rules, webhooks } = await get('triggers');
    mount(el('h1', {}, 'Schedules & rules'),
      el('h2', {}, `Schedules (${schedules.length})`),
      table(['Name', 'Expression', 'State', 'Target', 'Next firings', 'Started'], schedules.map(scheduleRow),
        'No schedules. Create one with the Scheduler API or `stepforge schedules create`.'),
      el('h2', {}, `Event rules (${rules.length})`),
      table(['Name', 'Pattern or schedule', 'State', 'Targets', 'Next firings', 'Started'], rules.map(ruleRow),
        'No rules on the default event bus.'),
      el('h2', {}, `Webhooks (${webhooks.length})`),
      table(['Name', 'Endpoint', 'Mode, check', 'Target', 'Started'], webhooks.map(webhookRow), 'No webhooks.'));
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

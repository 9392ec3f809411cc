// The audit trail: API calls that changed something and refused calls, newest first, with filters.
import { get } from '../api.js';
import { el, fill, mount, notice, param } from '../dom.js';

function row(event) {
  const identity = event.userIdentity || {};
  const who = identity.accessKeyId || identity.userName || 'anonymous';
  const arns = (event.resources || []).map((r) => r.ARN);
  return el('tr', { class: event.errorCode ? 'audit-row refused' : 'audit-row' },
    el('td', {}, event.eventTime), el('td', {}, who), el('td', {}, event.eventName),
    el('td', {}, ...arns.map((arn) => el('div', {}, el('code', {}, arn)))), el('td', {}, event.sourceIPAddress),
    el('td', {}, event.errorCode ? el('span', { class: 'error-name', title: event.errorMessage || '' }, event.errorCode) : 'ok'));
}

async function show(body, filters) {
  const found = await get('audit', filters);
  if (!found.enabled) {
    fill(body, notice('The audit trail is off on this server ([audit] enabled = false).', 'info'));
    return;
  }
  fill(body, found.events.length === 0 ? el('p', { class: 'muted' }, 'No call matches.') : el('table', { class: 'list audit' },
    el('thead', {}, el('tr', {}, ...['Time (UTC)', 'Who', 'Operation', 'Resources', 'From', 'Result'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...found.events.map(row))));
}

export async function render() {
  const body = el('div');
  const input = (name, label) => el('label', {}, `${label} `, el('input', { name, value: param(name), size: 24 }));
  const form = el('form', { class: 'filters', method: 'get' }, input('actor', 'Who'), input('resource', 'Resource'),
    input('since', 'Since (ISO time)'), el('button', { type: 'submit' }, 'Filter'));
  mount(el('h1', {}, 'Audit trail'), form, body);
  try {
    await show(body, { actor: param('actor'), resource: param('resource'), since: param('since') });
  } catch (error) {
    fill(body, notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

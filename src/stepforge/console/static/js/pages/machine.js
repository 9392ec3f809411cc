// A state machine: its graph beside its JSON, its versions and aliases, recent executions.
import { aws, all, get } from '../api.js';
import { badge, el, link, mount, notice, page, param, pretty, time } from '../dom.js';
import { drawGraph } from '../graph.js';

function table(headers, rows) {
  if (rows.length === 0) return el('p', { class: 'muted' }, 'None.');
  return el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((cells) => el('tr', {}, ...cells.map((c) => el('td', {}, c))))));
}

async function versionsAndAliases(arn) {
  const [versions, aliases] = await Promise.all([
    all('ListStateMachineVersions', { stateMachineArn: arn }, 'stateMachineVersions'),
    all('ListStateMachineAliases', { stateMachineArn: arn }, 'stateMachineAliases'),
  ]);
  return el('div', { class: 'columns' },
    el('section', {}, el('h2', {}, 'Versions'), table(['Version', 'Created'],
      versions.map((v) => [v.stateMachineVersionArn.split(':').pop(), time(v.creationDate)]))),
    el('section', {}, el('h2', {}, 'Aliases'), table(['Alias', 'Created'],
      aliases.map((a) => [a.stateMachineAliasArn.split(':').pop(), time(a.creationDate)]))));
}

async function recent(arn) {
  const { executions, source } = await get('executions', { machine: arn, limit: 10 });
  const name = (e) => (source === 'logs' ? el('span', { title: e.executionArn }, e.name)
    : link(page('/console/execution', { arn: e.executionArn }), e.name));
  return el('section', {}, el('h2', {}, source === 'logs' ? 'Recent executions (from the execution logs)' : 'Recent executions'),
    table(['Name', 'Status', 'Started'], executions.map((e) => [name(e), badge(e.status), time(e.startDate)])));
}

export async function render() {
  const arn = param('arn');
  try {
    const machine = await aws('DescribeStateMachine', { stateMachineArn: arn });
    let definition = {};
    try { definition = JSON.parse(machine.definition); } catch { /* empty graph */ }
    const graph = drawGraph(definition);
    mount(el('div', { class: 'page-head' }, el('h1', {}, 'State machine ', el('span', { class: 'name' }, machine.name)),
      el('div', { class: 'actions' },
        link(page('/console/editor', { arn }), 'Edit / start execution', { class: 'button primary' }),
        link(page('/console/executions', { machine: arn }), 'Executions', { class: 'button' }))),
    el('p', { class: 'meta' }, `${machine.type} · ${machine.status} · created ${time(machine.creationDate)} · `, el('code', {}, machine.stateMachineArn)),
    el('div', { class: 'split definition' }, el('div', { class: 'graph-pane' }, graph.element),
      el('pre', { class: 'json definition-json' }, pretty(machine.definition))),
    await versionsAndAliases(arn), await recent(arn));
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

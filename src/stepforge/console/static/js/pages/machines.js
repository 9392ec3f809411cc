// The state machine list, searched by name and paged (oldest first, as ListStateMachines lists them).
import { get } from '../api.js';
import { fill, el, link, mount, notice, page, param, time } from '../dom.js';
import { Pager } from '../pager.js';

const PAGE = 50;

function row(machine) {
  return el('tr', { class: 'machine-row' },
    el('td', {}, link(page('/console/machine', { arn: machine.stateMachineArn }), machine.name, { class: 'machine-link' })),
    el('td', {}, machine.type), el('td', {}, machine.status), el('td', {}, time(machine.creationDate)),
    el('td', {}, link(page('/console/executions', { machine: machine.stateMachineArn }), 'executions')));
}

export async function render() {
  const search = el('input', { type: 'search', id: 'machine-search', placeholder: 'Search by name', value: param('q') });
  const body = el('tbody');
  const show = ({ stateMachines }) => {
    fill(body, ...stateMachines.map(row));
    if (stateMachines.length === 0) body.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No state machines match.')));
    history.replaceState({ machines: pager.state }, '', page('/console/machines', { q: search.value }));
  };
  const failed = (error) => {
    if (error.code === 'InvalidToken' && pager.token) return pager.first();
    fill(body, el('tr', {}, el('td', { colspan: 5 }, notice(error.message))));
  };
  const pager = new Pager((token) => get('machines', { q: search.value, limit: PAGE, next: token }), show,
    { onError: failed, back: '← Previous', forward: 'Next →', saved: history.state?.machines });
  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => pager.first(), 200); });
  mount(el('div', { class: 'page-head' }, el('h1', {}, 'State machines'),
    link('/console/editor', 'Create state machine', { class: 'button primary' })),
  search,
  el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Name', 'Type', 'Status', 'Created', ''].map((h) => el('th', {}, h)))), body),
  pager.element);
  await pager.show();
}

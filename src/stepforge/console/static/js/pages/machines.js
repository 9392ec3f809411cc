// The state machine list, with search.
import { get } from '../api.js';
import { fill, el, link, mount, notice, page, param, time } from '../dom.js';

function row(machine) {
  return el('tr', { class: 'machine-row' },
    el('td', {}, link(page('/console/machine', { arn: machine.stateMachineArn }), machine.name, { class: 'machine-link' })),
    el('td', {}, machine.type), el('td', {}, machine.status), el('td', {}, time(machine.creationDate)),
    el('td', {}, link(page('/console/executions', { machine: machine.stateMachineArn }), 'executions')));
}

export async function render() {
  const search = el('input', { type: 'search', id: 'machine-search', placeholder: 'Search by name', value: param('q') });
  const body = el('tbody');
  const status = el('p', { class: 'muted' });
  const load = async () => {
    try {
      const { stateMachines } = await get('machines', { q: search.value });
      fill(body, ...stateMachines.map(row));
      status.textContent = `${stateMachines.length} state machine(s)`;
      history.replaceState(null, '', page('/console/machines', { q: search.value }));
    } catch (error) {
      fill(body, el('tr', {}, el('td', { colspan: 5 }, notice(error.message))));
    }
  };
  let timer;
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 200); });
  mount(el('div', { class: 'page-head' }, el('h1', {}, 'State machines'),
    link('/console/editor', 'Create state machine', { class: 'button primary' })),
  search, status,
  el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Name', 'Type', 'Status', 'Created', ''].map((h) => el('th', {}, h)))), body));
  await load();
}

// Activities and task tokens: pending tasks, approve (SendTaskSuccess) or reject (SendTaskFailure).
import { aws, all, get } from '../api.js';
import { fill, code, el, link, mount, notice, page, time } from '../dom.js';

function decide(task, row, messages) {
  const output = el('textarea', { rows: 2, class: 'task-output', 'aria-label': 'output' }, '{"approved": true}');
  const done = async (operation, params, text) => {
    try {
      await aws(operation, { taskToken: task.token, ...params });
      row.classList.add('closed');
      fill(messages, notice(text, 'ok'));
      setTimeout(() => row.remove(), 500);
    } catch (error) {
      fill(messages, notice(`${error.code}: ${error.message}`));
    }
  };
  return el('div', { class: 'decide' }, output,
    el('button', { type: 'button', class: 'primary small approve', onclick: () => done('SendTaskSuccess', { output: output.value }, 'Task approved.') }, 'Approve'),
    el('button', { type: 'button', class: 'danger small reject', onclick: () => done('SendTaskFailure', { error: 'Rejected', cause: 'Rejected from the console' }, 'Task rejected.') }, 'Reject'));
}

function taskRow(task, messages) {
  const row = el('tr', { class: 'task-row' });
  row.append(el('td', {}, link(page('/console/execution', { arn: task.executionArn }), task.executionName)),
    el('td', {}, task.state), el('td', {}, task.kind), el('td', {}, el('code', { class: 'resource' }, task.resource)),
    el('td', {}, task.kind === 'activity' ? (task.started ? 'taken by a worker' : 'waiting for a worker') : 'waiting for callback'),
    el('td', {}, task.input ? code(task.input) : ''), el('td', {}, decide(task, row, messages)));
  return row;
}

export async function render() {
  const messages = el('div');
  try {
    const [{ tasks }, activities] = await Promise.all([get('tasks'), all('ListActivities', {}, 'activities')]);
    mount(el('h1', {}, 'Activities & task tokens'), messages,
      el('h2', {}, `Pending tasks (${tasks.length})`),
      tasks.length ? el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Execution', 'State', 'Kind', 'Resource', 'Status', 'Input', 'Decision'].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...tasks.map((t) => taskRow(t, messages)))) : el('p', { class: 'muted' }, 'No task is waiting for a token.'),
      el('h2', {}, `Activities (${activities.length})`),
      el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'ARN'), el('th', {}, 'Created'))),
        el('tbody', {}, ...activities.map((a) => el('tr', {}, el('td', {}, a.name), el('td', {}, el('code', {}, a.activityArn)), el('td', {}, time(a.creationDate)))))));
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

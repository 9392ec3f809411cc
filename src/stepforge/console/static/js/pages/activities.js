// Activities and task tokens: pending tasks, approve (SendTaskSuccess) or reject (SendTaskFailure).
import { aws, get } from '../api.js';
import { fill, code, el, link, mount, notice, page, time } from '../dom.js';
import { Pager } from '../pager.js';

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

const PAGE = 50;

function activityRow(activity) {
  return el('tr', { class: 'activity-row' }, el('td', {}, activity.name), el('td', {}, el('code', {}, activity.activityArn)),
    el('td', {}, time(activity.creationDate)));
}

/** The activities, a page at a time (ListActivities with its nextToken), oldest first. */
function activityList(messages) {
  const body = el('tbody');
  const show = ({ activities }) => {
    fill(body, ...activities.map(activityRow));
    if (activities.length === 0) body.append(el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'No activities.')));
  };
  const failed = (error) => fill(messages, notice(`${error.code}: ${error.message}`));
  const pager = new Pager(async (token) => {
    const found = await aws('ListActivities', token ? { maxResults: PAGE, nextToken: token } : { maxResults: PAGE });
    return { activities: found.activities || [], next: found.nextToken || null };
  }, show, { onError: failed, back: '← Previous', forward: 'Next →' });
  const table = el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'ARN'), el('th', {}, 'Created'))), body);
  return { element: el('div', { class: 'activities' }, table, pager.element), shown: pager.show() };
}

export async function render() {
  const messages = el('div');
  try {
    const { tasks } = await get('tasks');
    const activities = activityList(messages);
    mount(el('h1', {}, 'Activities & task tokens'), messages,
      el('h2', {}, `Pending tasks (${tasks.length})`),
      tasks.length ? el('table', { class: 'list' }, el('thead', {}, el('tr', {}, ...['Execution', 'State', 'Kind', 'Resource', 'Status', 'Input', 'Decision'].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...tasks.map((t) => taskRow(t, messages)))) : el('p', { class: 'muted' }, 'No task is waiting for a token.'),
      el('h2', {}, 'Activities'), activities.element);
    await activities.shown;
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

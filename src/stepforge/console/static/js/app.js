// The console's entry: one shell page, the path picks the view.
import { post, session } from './api.js';
import { el } from './dom.js';
import * as activities from './pages/activities.js';
import * as audit from './pages/audit.js';
import * as dashboard from './pages/dashboard.js';
import * as editor from './pages/editor.js';
import * as execution from './pages/execution.js';
import * as executions from './pages/executions.js';
import * as machine from './pages/machine.js';
import * as machines from './pages/machines.js';
import * as maprun from './pages/maprun.js';
import * as triggers from './pages/triggers.js';

const VIEWS = {
  '/': machines, '/console': machines, '/console/machines': machines, '/console/machine': machine,
  '/console/editor': editor, '/console/executions': executions, '/console/execution': execution,
  '/console/activities': activities, '/console/triggers': triggers, '/console/maprun': maprun,
  '/console/dashboard': dashboard, '/console/audit': audit,
};
const NAV = { machines: ['/', '/console', '/console/machines', '/console/machine'], editor: ['/console/editor'],
  executions: ['/console/executions', '/console/execution', '/console/maprun'], activities: ['/console/activities'],
  triggers: ['/console/triggers'], dashboard: ['/console/dashboard'], audit: ['/console/audit'] };

const path = location.pathname.replace(/\/+$/, '') || '/';
for (const link of document.querySelectorAll('[data-nav]')) {
  if ((NAV[link.dataset.nav] || []).includes(path)) link.setAttribute('aria-current', 'page');
}

/** With console login: the user's name and role, and a button to log out, in the header. */
async function showUser() {
  const { login, user, role } = await session();
  if (!login || !user) return;
  const out = el('button', { type: 'button', class: 'logout' }, 'Log out');
  out.addEventListener('click', async () => {
    await post('logout', {}).catch(() => {});
    location.assign('/console/login');
  });
  document.querySelector('header.top').append(el('span', { class: 'who' }, `${user} (${role})`), out);
}

showUser();
const view = VIEWS[path] || machines;
Promise.resolve(view.render()).finally(() => { document.body.dataset.ready = 'true'; });

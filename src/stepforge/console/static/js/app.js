// The console's entry: one shell page, the path picks the view.
import * as activities from './pages/activities.js';
import * as editor from './pages/editor.js';
import * as execution from './pages/execution.js';
import * as executions from './pages/executions.js';
import * as machine from './pages/machine.js';
import * as machines from './pages/machines.js';
import * as maprun from './pages/maprun.js';

const VIEWS = {
  '/': machines, '/console': machines, '/console/machines': machines, '/console/machine': machine,
  '/console/editor': editor, '/console/executions': executions, '/console/execution': execution,
  '/console/activities': activities, '/console/maprun': maprun,
};
const NAV = { machines: ['/', '/console', '/console/machines', '/console/machine'], editor: ['/console/editor'],
  executions: ['/console/executions', '/console/execution', '/console/maprun'], activities: ['/console/activities'] };

const path = location.pathname.replace(/\/+$/, '') || '/';
for (const link of document.querySelectorAll('[data-nav]')) {
  if ((NAV[link.dataset.nav] || []).includes(path)) link.setAttribute('aria-current', 'page');
}
const view = VIEWS[path] || machines;
Promise.resolve(view.render()).finally(() => { document.body.dataset.ready = 'true'; });

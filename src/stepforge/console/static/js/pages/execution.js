// The execution page: the graph coloured live by each state's status, state details, history, timeline.
import { aws } from '../api.js';
import { badge, fill, code, duration, el, link, mount, notice, page, param, time } from '../dom.js';
import { drawGraph } from '../graph.js';
import { HistoryTable } from '../history.js';
import { ExecutionState } from '../status.js';
import { drawTimeline } from '../timeline.js';
import { stateDetails } from '../statepanel.js';

const ENDED = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

function legend() {
  return el('div', { class: 'legend' }, ...['running', 'succeeded', 'failed', 'caught', 'aborted', 'notreached']
    .map((s) => el('span', { class: `legend-item st-${s}` }, el('i'), s === 'notreached' ? 'not reached' : s)));
}

function tabs(panels) {
  const bar = el('div', { class: 'tabs', role: 'tablist' });
  const body = el('div', { class: 'tab-body' });
  const show = (name) => {
    for (const button of bar.children) button.setAttribute('aria-selected', String(button.dataset.tab === name));
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
  };
  for (const name of Object.keys(panels)) {
    bar.append(el('button', { type: 'button', role: 'tab', dataset: { tab: name }, onclick: () => show(name) }, name));
    body.append(panels[name]);
  }
  show(Object.keys(panels)[0]);
  return el('section', {}, bar, body);
}

class ExecutionPage {
  constructor(arn) {
    this.arn = arn;
    this.state = new ExecutionState();
    this.history = new HistoryTable();
    this.selected = null;
    this.header = el('div', { class: 'exec-header' });
    this.panel = el('aside', { class: 'state-panel', 'aria-live': 'polite' }, el('p', { class: 'muted' }, 'Click a state to see its input, output and errors.'));
    this.graphPane = el('div', { class: 'graph-pane' });
    this.timeline = el('div', { class: 'timeline-pane' });
    this.io = el('div', { class: 'io-pane' });
    this.mapRuns = el('div', { class: 'map-runs' });
  }

  async start() {
    const [description, machine] = await Promise.all([
      aws('DescribeExecution', { executionArn: this.arn }),
      aws('DescribeStateMachineForExecution', { executionArn: this.arn }),
    ]);
    let definition = {};
    try { definition = JSON.parse(machine.definition); } catch { /* shown as an empty graph */ }
    this.graph = drawGraph(definition, { onSelect: (name) => this.select(name) });
    this.graphPane.append(this.graph.element);
    this.machine = machine;
    this.describe(description);
    mount(el('h1', {}, 'Execution ', el('span', { class: 'name' }, description.name)), this.header, this.mapRuns,
      el('div', { class: 'split' }, el('div', {}, legend(), this.graphPane), this.panel),
      tabs({ 'Event history': this.history.element, Timeline: this.timeline, 'Input & output': this.io }));
    this.listen();
  }

  listen() {
    const source = new EventSource(page('/console/api/stream', { arn: this.arn, after: this.state.events.length }));
    this.source = source;
    source.addEventListener('history', (message) => this.onEvents(JSON.parse(message.data)));
    source.addEventListener('status', (message) => this.describe(JSON.parse(message.data)));
    source.addEventListener('end', () => { source.close(); document.body.dataset.stream = 'ended'; });
  }

  onEvents(events) {
    for (const event of events.filter((e) => e.type === 'MapRunStarted')) {
      const arn = event.mapRunStartedEventDetails.mapRunArn;
      this.mapRuns.append(el('div', {}, 'Map Run ', link(page('/console/maprun', { arn }), arn.split(':').pop(), { class: 'map-run-link' })));
    }
    this.state.add(events);
    this.history.add(events);
    this.graph.setStatuses(this.state.statuses());
    if (this.selected) this.select(this.selected);
    this.drawTimeline();
  }

  drawTimeline() {
    fill(this.timeline, drawTimeline(this.state, this.description?.stopDate));
  }

  describe(description) {
    this.description = description;
    const running = description.status === 'RUNNING';
    const stopButton = el('button', { type: 'button', class: 'danger', id: 'stop-execution', onclick: () => this.stop() }, 'Stop');
    const redrive = el('button', { type: 'button', id: 'redrive-execution', onclick: () => this.redrive() }, 'Redrive');
    fill(this.header, 
      el('div', { class: 'meta' }, el('span', { id: 'execution-status' }, badge(description.status)),
        ' machine ', link(page('/console/machine', { arn: this.machine.stateMachineArn }), this.machine.name),
        ` · started ${time(description.startDate)}`,
        description.stopDate ? ` · ended ${time(description.stopDate)}` : '',
        ` · ${duration(description.startDate, description.stopDate)}`),
      el('div', { class: 'actions' }, running ? stopButton : null,
        description.redriveStatus === 'REDRIVABLE' ? redrive : null,
        link(page('/console/editor', { arn: this.machine.stateMachineArn.split(':').slice(0, 7).join(':'), input: description.input }), 'New execution with this input', { class: 'button' })),
      description.error !== undefined ? el('div', { class: 'exec-error', role: 'alert' },
        el('strong', {}, description.error || 'Error'), el('div', { class: 'cause' }, description.cause || '')) : null);
    fill(this.io, el('h3', {}, 'Input'), code(description.input),
      el('h3', {}, 'Output'), description.output !== undefined ? code(description.output) : el('p', { class: 'muted' }, 'No output.'));
    document.body.dataset.status = description.status;
    if (ENDED.includes(description.status)) this.drawTimeline();
  }

  select(name) {
    this.selected = name;
    this.graph.select(name);
    fill(this.panel, stateDetails(this.state.states[name], name));
  }

  async act(operation, params) {
    try {
      await aws(operation, params);
      if (this.source.readyState === EventSource.CLOSED) this.listen();
    } catch (error) {
      this.header.append(notice(`${error.code}: ${error.message}`));
    }
  }

  stop() {
    this.act('StopExecution', { executionArn: this.arn, error: 'Console.Stopped', cause: 'Stopped from the console' });
  }

  redrive() {
    this.act('RedriveExecution', { executionArn: this.arn });
  }
}

export async function render() {
  const arn = param('arn');
  if (!arn) return mount(notice('No execution given.'));
  try {
    await new ExecutionPage(arn).start();
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

// The editor: a definition with inline diagnostics and a live graph; create/update; start an execution.
import { aws } from '../api.js';
import { fill, el, mount, notice, page, param } from '../dom.js';
import { drawGraph } from '../graph.js';
import { DefinitionEditor } from '../texteditor.js';

const ROLE = 'arn:aws:iam::000000000000:role/stepforge-console';
const TEMPLATE = {
  Comment: 'A new state machine',
  StartAt: 'Hello',
  States: {
    Hello: { Type: 'Pass', Result: { greeting: 'hello' }, ResultPath: '$.hello', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

class EditorPage {
  constructor(arn) {
    this.arn = arn;
    this.name = el('input', { id: 'machine-name', placeholder: 'my-state-machine', required: true });
    this.type = el('select', { id: 'machine-type' }, el('option', {}, 'STANDARD'), el('option', {}, 'EXPRESS'));
    this.role = el('input', { id: 'machine-role', value: ROLE });
    this.editor = new DefinitionEditor({ onChange: (text) => this.redraw(text) });
    this.graphPane = el('div', { class: 'graph-pane', id: 'editor-graph' });
    this.messages = el('div', { class: 'messages' });
    this.save = el('button', { type: 'button', class: 'primary', id: 'save-machine', onclick: () => this.submit() }, arn ? 'Update' : 'Create');
    this.input = el('textarea', { id: 'execution-input', rows: 6, spellcheck: 'false' }, param('input') || '{}');
    this.execName = el('input', { id: 'execution-name', placeholder: 'optional name' });
    this.startButton = el('button', { type: 'button', class: 'primary', id: 'start-execution', disabled: !arn, onclick: () => this.start() }, 'Start execution');
  }

  async load() {
    if (!this.arn) return JSON.stringify(TEMPLATE, null, 2);
    const machine = await aws('DescribeStateMachine', { stateMachineArn: this.arn });
    this.name.value = machine.name;
    this.name.readOnly = true;
    this.type.value = machine.type;
    this.type.disabled = true;
    this.role.value = machine.roleArn;
    try { return JSON.stringify(JSON.parse(machine.definition), null, 2); } catch { return machine.definition; }
  }

  async render() {
    const text = await this.load();
    mount(el('h1', {}, this.arn ? 'Edit state machine' : 'Create a state machine'),
      el('div', { class: 'form-row' }, el('label', {}, 'Name ', this.name), el('label', {}, 'Type ', this.type),
        el('label', { class: 'wide' }, 'Role ARN ', this.role)),
      el('div', { class: 'split editor-split' }, this.editor.element, this.graphPane),
      el('div', { class: 'actions' }, this.save), this.messages,
      el('section', { class: 'start-box' }, el('h2', {}, 'Start an execution'),
        el('label', {}, 'Name ', this.execName), el('label', { class: 'block' }, 'Input (JSON)', this.input), this.startButton));
    this.editor.setText(text);
  }

  redraw(text) {
    let definition;
    try { definition = JSON.parse(text); } catch { return; }
    try {
      const graph = drawGraph(definition);
      fill(this.graphPane, graph.element);
    } catch (error) {
      fill(this.graphPane, notice(`Cannot draw: ${error.message}`));
    }
  }

  say(message, kind) {
    fill(this.messages, notice(message, kind));
  }

  async submit() {
    const definition = this.editor.text();
    try {
      if (this.arn) {
        await aws('UpdateStateMachine', { stateMachineArn: this.arn, definition, roleArn: this.role.value });
        this.say('State machine updated.', 'ok');
      } else {
        const created = await aws('CreateStateMachine', { name: this.name.value, definition, roleArn: this.role.value, type: this.type.value });
        this.arn = created.stateMachineArn;
        history.replaceState(null, '', page('/console/editor', { arn: this.arn }));
        this.name.readOnly = true;
        this.type.disabled = true;
        this.save.textContent = 'Update';
        this.startButton.disabled = false;
        this.say('State machine created.', 'ok');
      }
    } catch (error) {
      this.say(`${error.code}: ${error.message}`, 'error');
    }
  }

  async start() {
    try {
      const params = { stateMachineArn: this.arn, input: this.input.value };
      if (this.execName.value) params.name = this.execName.value;
      const started = await aws('StartExecution', params);
      location.assign(page('/console/execution', { arn: started.executionArn }));
    } catch (error) {
      this.say(`${error.code}: ${error.message}`, 'error');
    }
  }
}

export async function render() {
  try {
    await new EditorPage(param('arn')).render();
  } catch (error) {
    mount(notice(`${error.code || 'Error'}: ${error.message}`));
  }
}

// A plain-text definition editor with a line-number gutter and the validator's diagnostics inline.
import { post } from './api.js';
import { clear, el } from './dom.js';

const DELAY = 250;

export class DefinitionEditor {
  constructor({ onChange }) {
    this.onChange = onChange;
    this.area = el('textarea', { id: 'definition', spellcheck: 'false', wrap: 'off', 'aria-label': 'definition' });
    this.gutter = el('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.list = el('ul', { class: 'diagnostics', id: 'diagnostics', 'aria-live': 'polite' });
    this.summary = el('div', { class: 'diag-summary', id: 'diag-summary' });
    this.element = el('div', { class: 'editor' }, el('div', { class: 'code-box' }, this.gutter, this.area), this.summary, this.list);
    this.area.addEventListener('input', () => this.changed());
    this.area.addEventListener('scroll', () => { this.gutter.scrollTop = this.area.scrollTop; });
    this.area.addEventListener('keydown', (event) => this.indent(event));
    this.generation = 0;
  }

  text() { return this.area.value; }

  setText(text) {
    this.area.value = text;
    this.changed(0);
  }

  indent(event) {
    if (event.key !== 'Tab') return;
    event.preventDefault();
    this.area.setRangeText('  ', this.area.selectionStart, this.area.selectionEnd, 'end');
    this.changed();
  }

  changed(delay = DELAY) {
    this.drawGutter(new Map());
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), delay);
  }

  async check() {
    const generation = ++this.generation;
    const text = this.area.value;
    this.onChange(text);
    let report;
    try {
      report = await post('validate', { definition: text });
    } catch (error) {
      report = { result: 'FAIL', diagnostics: [{ severity: 'ERROR', code: error.code, message: error.message, line: 1, column: 1 }] };
    }
    if (generation === this.generation) this.show(report);
  }

  show(report) {
    const byLine = new Map();
    clear(this.list);
    for (const d of report.diagnostics) {
      byLine.set(d.line, d.severity === 'ERROR' || byLine.get(d.line) === 'ERROR' ? 'ERROR' : 'WARNING');
      const item = el('li', { class: `diagnostic ${d.severity.toLowerCase()}`, tabindex: 0, dataset: { line: d.line } },
        el('span', { class: 'where' }, `line ${d.line}:${d.column}`),
        d.location ? el('code', { class: 'path' }, d.location) : null,
        el('span', { class: 'code' }, d.code), el('span', { class: 'message' }, d.message));
      item.addEventListener('click', () => this.goTo(d.line, d.column));
      this.list.append(item);
    }
    const errors = report.diagnostics.filter((d) => d.severity === 'ERROR').length;
    this.summary.textContent = report.result === 'OK' ? (report.diagnostics.length ? `Valid, ${report.diagnostics.length} warning(s)` : 'Valid definition')
      : `${errors} error(s)`;
    this.summary.className = `diag-summary ${report.result === 'OK' ? 'ok' : 'fail'}`;
    this.element.dataset.result = report.result;
    this.drawGutter(byLine);
  }

  drawGutter(byLine) {
    const lines = this.area.value.split('\n').length;
    if (byLine.size === 0 && this.gutter.childElementCount === lines && !this.gutter.querySelector('.error, .warning')) return;
    clear(this.gutter);
    for (let i = 1; i <= lines; i++) {
      const kind = byLine.get(i);
      this.gutter.append(el('div', { class: kind ? kind.toLowerCase() : '', title: kind ? 'see the diagnostics below' : null }, String(i)));
    }
    this.gutter.scrollTop = this.area.scrollTop;
  }

  goTo(line, column) {
    const lines = this.area.value.split('\n');
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(column - 1, 0);
    this.area.focus();
    this.area.setSelectionRange(offset, offset);
  }
}

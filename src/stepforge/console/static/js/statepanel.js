// The details of one state on the execution page: status, data at each stage, retries, errors, iterations.
import { badge, code, duration, el, time } from './dom.js';

function section(title, text) {
  if (text === undefined || text === null) return null;
  return el('section', {}, el('h4', {}, title), code(text));
}

function iterations(record) {
  const entries = Object.entries(record.iterations || {});
  if (entries.length === 0) return null;
  return el('section', { class: 'iterations' }, el('h4', {}, `Map iterations (${entries.length})`),
    el('ol', { start: 0 }, ...entries.sort((a, b) => a[0] - b[0]).map(([index, status]) =>
      el('li', {}, `#${index} `, badge(status)))));
}

export function stateDetails(record, name) {
  if (!record || record.runs.length === 0) {
    return el('div', { class: 'state-details' }, el('h3', {}, name), badge('NOT REACHED'),
      el('p', { class: 'muted' }, 'This state was not entered.'));
  }
  const run = record.runs[record.runs.length - 1];
  const status = run.status;
  return el('div', { class: 'state-details', dataset: { state: name } },
    el('h3', {}, name), el('div', {}, badge(status.toUpperCase()), ` ${record.type || ''}`),
    el('dl', {},
      el('dt', {}, 'Entered'), el('dd', {}, time(run.entered)),
      el('dt', {}, 'Duration'), el('dd', {}, duration(run.entered, run.exited)),
      el('dt', {}, 'Runs'), el('dd', {}, String(record.runs.length)),
      el('dt', {}, 'Retries'), el('dd', { class: 'retries' }, String(record.retries))),
    run.error !== undefined || record.error !== undefined ? el('section', { class: 'state-error', role: 'alert' },
      el('h4', {}, 'Error'), el('div', { class: 'error-name' }, run.error ?? record.error ?? ''),
      el('pre', { class: 'cause' }, run.cause ?? record.cause ?? '')) : null,
    section('Input (as entered)', run.input),
    section('Parameters (after InputPath and Parameters)', run.parameters),
    section('Task result (before ResultSelector)', run.result),
    section('Output (after ResultPath and OutputPath)', run.output),
    iterations(record));
}

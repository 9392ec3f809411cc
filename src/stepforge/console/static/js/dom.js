// Building the DOM from data: text always goes through textContent, never innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function attach(node, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** el('a', {href, class}, 'text', childNode, ...) */
export function el(tag, attrs, ...children) {
  return attach(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs, ...children) {
  return attach(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

/** Replace a node's children (null, undefined and false are skipped). */
export function fill(node, ...children) {
  return attach(clear(node), {}, children);
}

export function mount(...children) {
  return fill(document.getElementById('app'), ...children);
}

export function time(seconds) {
  if (seconds === undefined || seconds === null) return '';
  const d = new Date(seconds * 1000);
  return d.toLocaleString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

export function duration(start, end) {
  if (start === undefined || start === null) return '';
  const ms = Math.max(0, ((end ?? Date.now() / 1000) - start) * 1000);
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 120000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 60000).toFixed(1)} min`;
}

/** Pretty JSON text of a JSON string (or the string itself when it is not JSON). */
export function pretty(text) {
  if (text === undefined || text === null) return '';
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

export function code(text, cls = 'json') {
  return el('pre', { class: cls }, pretty(text));
}

export function badge(status) {
  return el('span', { class: `badge st-${String(status).toLowerCase()}` }, status);
}

export function link(href, text, attrs = {}) {
  return el('a', { href, ...attrs }, text);
}

export function param(name) {
  return new URLSearchParams(location.search).get(name) || '';
}

export function page(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v != null));
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export function notice(message, kind = 'error') {
  return el('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
}

// A definition as a graph: states as nodes, transitions as edges, Parallel branches and Map
// processors as nested groups (clusters). Pure data; graph.js lays it out and draws it.

const OPERATORS = ['StringEquals', 'StringLessThan', 'StringGreaterThan', 'StringLessThanEquals',
  'StringGreaterThanEquals', 'StringMatches', 'NumericEquals', 'NumericLessThan', 'NumericGreaterThan',
  'NumericLessThanEquals', 'NumericGreaterThanEquals', 'BooleanEquals', 'TimestampEquals',
  'TimestampLessThan', 'TimestampGreaterThan', 'TimestampLessThanEquals', 'TimestampGreaterThanEquals',
  'IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];
const SHORT = { Equals: '==', LessThan: '<', GreaterThan: '>', LessThanEquals: '<=', GreaterThanEquals: '>=' };

function operand(value) {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
}

/** A short text for a Choice rule: `$.x == 1`, `not(...)`, `a and b`. */
export function describeRule(rule) {
  if (!rule || typeof rule !== 'object') return '?';
  if (typeof rule.Condition === 'string') return rule.Condition;
  if (Array.isArray(rule.And)) return rule.And.map(describeRule).join(' and ');
  if (Array.isArray(rule.Or)) return rule.Or.map(describeRule).join(' or ');
  if (rule.Not) return `not(${describeRule(rule.Not)})`;
  for (const key of Object.keys(rule)) {
    const base = key.endsWith('Path') ? key.slice(0, -4) : key;
    if (!OPERATORS.includes(base)) continue;
    const kind = base.replace(/^(String|Numeric|Boolean|Timestamp)/, '');
    const value = key.endsWith('Path') ? rule[key] : operand(rule[key]);
    if (base.startsWith('Is')) return `${rule.Variable} ${base}${rule[key] ? '' : ' = false'}`;
    return `${rule.Variable} ${SHORT[kind] || base} ${value}`;
  }
  return '?';
}

function clip(text, max = 40) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** {nodes: [{id, name, type, parent, kind, retry, catch}], edges: [{from, to, label, kind}], clusters: [...]} */
export function buildModel(definition) {
  const model = { nodes: [], edges: [], clusters: [] };
  if (!definition || typeof definition !== 'object') return model;
  model.nodes.push({ id: 'start:', name: 'Start', kind: 'terminal', parent: null });
  model.nodes.push({ id: 'end:', name: 'End', kind: 'terminal', parent: null });
  addScope(model, definition, null, 'start:', 'end:');
  if (!model.edges.some((edge) => edge.to === 'end:')) model.nodes = model.nodes.filter((node) => node.id !== 'end:');
  return model;
}

function addScope(model, machine, parent, entry, exit) {
  const states = machine && typeof machine.States === 'object' && machine.States ? machine.States : {};
  const ids = new Set(Object.keys(states));
  const target = (name) => (ids.has(name) ? `s:${name}` : null);
  if (target(machine.StartAt)) model.edges.push({ from: entry, to: target(machine.StartAt), kind: 'next' });
  for (const [name, state] of Object.entries(states)) {
    if (!state || typeof state !== 'object') continue;
    const id = `s:${name}`;
    model.nodes.push({
      id, name, type: String(state.Type || '?'), parent, kind: 'state',
      retry: Array.isArray(state.Retry) && state.Retry.length > 0,
      catch: Array.isArray(state.Catch) && state.Catch.length > 0,
    });
    const out = state.Type === 'Parallel' || state.Type === 'Map' ? addGroup(model, name, state, parent) : id;
    addTransitions(model, state, out, target, exit);
  }
}

function addGroup(model, name, state, parent) {
  const cluster = `c:${name}`;
  const join = `j:${name}`;
  const label = state.Type === 'Map' ? `${name} — item processor` : `${name} — branches`;
  model.clusters.push({ id: cluster, name: label, parent });
  model.nodes.push({ id: join, name: `${name} done`, kind: 'join', parent: cluster, state: name });
  model.edges.push({ from: `s:${name}`, to: join, kind: 'hidden' });
  const machines = state.Type === 'Map' ? [state.ItemProcessor || state.Iterator] : state.Branches || [];
  machines.forEach((machine, index) => {
    if (!machine || typeof machine !== 'object') return;
    const branch = state.Type === 'Map' ? cluster : `${cluster}:${index}`;
    if (branch !== cluster) model.clusters.push({ id: branch, name: `branch ${index + 1}`, parent: cluster });
    addScope(model, machine, branch, `s:${name}`, join);
  });
  return join;
}

function addTransitions(model, state, from, target, exit) {
  if (typeof state.Next === 'string' && target(state.Next)) model.edges.push({ from, to: target(state.Next), kind: 'next' });
  if (state.End === true || state.Type === 'Succeed') model.edges.push({ from, to: exit, kind: 'next' });
  if (state.Type === 'Choice') {
    (Array.isArray(state.Choices) ? state.Choices : []).forEach((rule) => {
      if (rule && target(rule.Next)) model.edges.push({ from, to: target(rule.Next), kind: 'choice', label: clip(describeRule(rule)) });
    });
    if (target(state.Default)) model.edges.push({ from, to: target(state.Default), kind: 'choice', label: 'Default' });
  }
  for (const catcher of Array.isArray(state.Catch) ? state.Catch : []) {
    if (catcher && target(catcher.Next)) {
      const errors = Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.join(', ') : '';
      model.edges.push({ from, to: target(catcher.Next), kind: 'catch', label: clip(`Catch ${errors}`) });
    }
  }
}

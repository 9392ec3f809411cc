// What an execution's history says about each state: status, runs, data, retries, errors, iterations.

const FAILURES = /^(Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$/;
const SUCCESSES = /^(Task|LambdaFunction|Activity)Succeeded$/;
const SCHEDULES = /^(Task|LambdaFunction|Activity)Scheduled$/;
const GROUP = /^(Parallel|Map)State(Started|Succeeded|Failed|Aborted)$/;
const ITERATION = /^MapIteration(Started|Succeeded|Failed|Aborted)$/;

function detailsOf(event) {
  const key = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  return key ? event[key] : {};
}

/** Folds history events, in order, into per-state records. Call add() as events arrive. */
export class ExecutionState {
  constructor() {
    this.states = {};
    this.owner = {};
    this.events = [];
    this.open = [];
  }

  state(name, type) {
    const record = this.states[name] ||= { name, type, runs: [], retries: 0, iterations: {}, tasks: [] };
    if (type) record.type = type;
    return record;
  }

  currentRun(name) {
    const runs = this.states[name]?.runs || [];
    for (let i = runs.length - 1; i >= 0; i--) if (runs[i].status === 'running') return runs[i];
    return runs[runs.length - 1];
  }

  add(events) {
    for (const event of events) this.addOne(event);
  }

  addOne(event) {
    this.events.push(event);
    const type = event.type;
    const details = detailsOf(event);
    if (type.endsWith('StateEntered')) return this.entered(event, type.slice(0, -'StateEntered'.length), details);
    if (type.endsWith('StateExited')) return this.exited(event, details);
    if (ITERATION.test(type)) return this.iteration(event, type, details);
    if (GROUP.test(type)) return this.group(event, type);
    if (/^Execution(Failed|TimedOut|Aborted)$/.test(type)) return this.executionEnded(event, type, details);
    const name = this.owner[event.previousEventId];
    this.owner[event.id] = name;
    if (name !== undefined) this.taskEvent(event, name, type, details);
  }

  entered(event, stateType, details) {
    const record = this.state(details.name, stateType);
    this.owner[event.id] = details.name;
    const run = { entered: event.timestamp, input: details.input, status: stateType === 'Fail' ? 'failed' : 'running', failed: false };
    if (stateType === 'Fail') { run.exited = event.timestamp; run.fail = true; }
    record.runs.push(run);
    if (stateType === 'Parallel' || stateType === 'Map') this.open.push(details.name);
  }

  exited(event, details) {
    this.owner[event.id] = details.name;
    const run = this.currentRun(details.name);
    if (!run) return;
    run.exited = event.timestamp;
    run.output = details.output;
    run.status = run.failed ? 'caught' : 'succeeded';
    this.open = this.open.filter((name, i, all) => name !== details.name || i !== all.lastIndexOf(name));
  }

  group(event, type) {
    const name = this.open[this.open.length - 1];
    this.owner[event.id] = name;
    if (name === undefined) return;
    const run = this.currentRun(name);
    if (type.endsWith('Started') && run) {
      if (run.started) this.states[name].retries += 1;
      run.started = true;
      run.failed = false;
    }
    if (type.endsWith('Failed') && run) {
      run.failed = true;
      this.failInner(event.timestamp);
    }
  }

  failInner(timestamp) {
    for (const record of Object.values(this.states)) {
      for (const run of record.runs) {
        if (run.status === 'running' && run.failed) { run.status = 'failed'; run.exited = timestamp; }
      }
    }
  }

  iteration(event, type, details) {
    const record = this.state(details.name, 'Map');
    this.owner[event.id] = this.owner[event.previousEventId];
    record.iterations[details.index] = type.replace('MapIteration', '').toUpperCase();
  }

  taskEvent(event, name, type, details) {
    const record = this.state(name);
    const run = this.currentRun(name);
    if (SCHEDULES.test(type)) {
      if (run?.scheduled) record.retries += 1;
      if (run) { run.scheduled = true; run.failed = false; }
      record.tasks.push({ scheduled: event.timestamp, resource: details.resource, parameters: details.parameters, type });
      if (run) run.parameters = details.parameters;
      return;
    }
    const task = record.tasks[record.tasks.length - 1];
    if (SUCCESSES.test(type)) {
      if (task) { task.ended = event.timestamp; task.status = 'succeeded'; task.output = details.output; }
      if (run) run.result = details.output;
    } else if (FAILURES.test(type)) {
      if (task) { task.ended = event.timestamp; task.status = 'failed'; }
      if (run) { run.failed = true; run.error = details.error; run.cause = details.cause; }
      record.error = details.error; record.cause = details.cause;
    } else if (/(Started|Submitted)$/.test(type) && task) {
      task.started = event.timestamp;
    }
  }

  executionEnded(event, type, details) {
    const status = type === 'ExecutionAborted' ? 'aborted' : 'failed';
    for (const record of Object.values(this.states)) {
      for (const run of record.runs) {
        if (run.fail && !run.error && status === 'failed') { run.error = details.error; run.cause = details.cause; }
        if (run.status !== 'running') continue;
        run.status = status;
        run.exited = event.timestamp;
        if (status === 'failed' && !run.error) { run.error = details.error; run.cause = details.cause; }
        if (status === 'failed' && !record.error) { record.error = details.error; record.cause = details.cause; }
      }
    }
  }

  /** {stateName: 'running' | 'succeeded' | 'failed' | 'caught' | 'aborted'} */
  statuses() {
    const result = {};
    for (const [name, record] of Object.entries(this.states)) {
      if (record.runs.length === 0) continue;
      const runs = record.runs.map((r) => r.status);
      result[name] = runs.includes('running') ? 'running' : runs.includes('failed') ? 'failed'
        : runs.includes('aborted') ? 'aborted' : runs.includes('caught') ? 'caught' : 'succeeded';
    }
    return result;
  }
}

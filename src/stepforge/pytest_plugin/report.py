"""Coverage, shown: a terminal table and a standalone HTML page with each machine's graph coloured.

The HTML page draws the graphs with the console's own modules (``console/static/js/graph.js`` and
what it imports, dagre included), embedded as ``data:`` module URLs so that the single file opens
anywhere, offline. States are green when every item of theirs was hit, amber when some were, red
when never entered; an edge is green when a run took it.
"""

from __future__ import annotations

import base64
import html
import json
import re
from importlib import resources
from pathlib import Path

from stepforge.pytest_plugin.coverage import CATEGORIES, Coverage, MachineCoverage

_STATIC = resources.files("stepforge.console") / "static"
#: The console modules the page needs, each with the relative imports it makes.
_MODULES = ("vendor/dagre.esm.js", "js/dom.js", "js/graphmodel.js", "js/graph.js")
_IMPORT = re.compile(r"""from\s+'(\.{1,2}/[^']+)'""")


def summary_lines(coverage: Coverage) -> list[str]:
    """The terminal table: one row per machine, then the total and the items never hit."""
    header = ["machine", "runs", *CATEGORIES, "cover"]
    rows = [[m.name, str(m.runs), *(_fraction(m, c) for c in CATEGORIES), f"{m.percent:.0f}%"]
            for m in coverage.machines.values()]
    rows.append(["TOTAL", str(sum(m.runs for m in coverage.machines.values())), *[""] * len(CATEGORIES),
                 f"{coverage.percent:.0f}%" if coverage.total()[1] else "-"])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             for row in [header, *rows]]
    for machine in coverage.machines.values():
        if machine.missed:
            lines.append(f"{machine.name}: not exercised: {', '.join(machine.missed)}")
    if not coverage.machines:
        lines.append("no state machine ran under the stepforge fixture")
    return lines


def _fraction(machine: MachineCoverage, category: str) -> str:
    covered, total = machine.category(category)
    return f"{covered}/{total}" if total else "-"


def write_html(coverage: Coverage, directory: Path) -> Path:
    """Write ``index.html`` (one self-contained page) into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "index.html"
    target.write_text(render_html(coverage), encoding="utf-8")
    return target


def render_html(coverage: Coverage) -> str:
    data = [{"name": m.name, "definition": m.definition, "runs": m.runs, "counts": m.counts,
             "percent": round(m.percent, 1)} for m in coverage.machines.values()]
    css = (_STATIC / "css" / "console.css").read_text(encoding="utf-8")
    payload = json.dumps(data).replace("</", "<\\/")
    urls = _module_urls()
    return _PAGE.format(css=css, extra=_CSS, graph_url=urls["js/graph.js"], model_url=urls["js/graphmodel.js"],
                        data=payload,
                        total=html.escape(f"{coverage.percent:.1f}%"), script=_SCRIPT)


def _module_urls() -> dict[str, str]:
    """The modules as data: URLs whose imports are data: URLs too (relative imports do not resolve there)."""
    urls: dict[str, str] = {}
    for module in _MODULES:
        source = (_STATIC / module).read_text(encoding="utf-8")
        folder = Path(module).parent

        def absolute(match: re.Match[str], folder: Path = folder) -> str:
            path = _normal(folder / match.group(1))
            return f"from '{urls[path]}'"

        source = _IMPORT.sub(absolute, source)
        urls[module] = "data:text/javascript;base64," + base64.b64encode(source.encode()).decode()
    return urls


def _normal(path: Path) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


_CSS = """
body { margin: 0 auto; max-width: 1200px; padding: 16px; }
section.machine { margin: 24px 0; }
svg.graph { max-height: none; }
svg.graph .node.st-covered rect { stroke: var(--succeeded); fill: #e4f5eb; }
svg.graph .node.st-partial rect { stroke: var(--caught); fill: #fcf0df; }
svg.graph .node.st-uncovered rect { stroke: var(--failed); fill: #fbe5e5; }
svg.graph .edge.hit path { stroke: var(--succeeded); stroke-width: 2.4; }
svg.graph .edge.missed path { stroke: var(--failed); stroke-dasharray: 3 3; }
table.items td, table.items th { padding: 2px 10px; text-align: left; }
table.items td.miss { color: var(--failed); }
"""

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>stepforge coverage</title>
<style>{css}{extra}</style></head>
<body><h1>stepforge coverage: {total}</h1><div id="machines"></div>
<script id="coverage-data" type="application/json">{data}</script>
<script type="module">
import {{ drawGraph }} from '{graph_url}';
import {{ buildModel }} from '{model_url}';
{script}
</script></body></html>
"""

_SCRIPT = r"""
const machines = JSON.parse(document.getElementById('coverage-data').textContent);
const root = document.getElementById('machines');

function statesOf(definition, found = {}) {
  for (const [name, state] of Object.entries(definition.States || {})) {
    found[name] = state;
    for (const branch of state.Branches || []) statesOf(branch, found);
    const processor = state.ItemProcessor || state.Iterator;
    if (processor) statesOf(processor, found);
  }
  return found;
}

function stateStatus(name, counts) {
  const own = Object.keys(counts).filter((item) => item.split(':')[1] === name);
  if (!counts[`state:${name}`]) return 'uncovered';
  return own.every((item) => counts[item] > 0) ? 'covered' : 'partial';
}

// The coverage item of each drawn edge, in graph.js's drawing order (hidden edges are not drawn).
function edgeItems(definition, counts) {
  const states = statesOf(definition);
  const seen = {};
  const items = [];
  for (const edge of buildModel(definition).edges) {
    if (edge.kind === 'hidden') continue;
    const from = edge.from.replace(/^[sj]:/, '');
    const to = edge.to.startsWith('s:') ? edge.to.slice(2) : null;
    const state = states[from];
    if (edge.from === 'start:' || (edge.from.startsWith('s:') && state && ['Parallel', 'Map'].includes(state.Type))) {
      items.push(to ? `state:${to}` : null);
    } else if (edge.kind === 'choice' || edge.kind === 'catch') {
      const key = `${edge.kind}:${from}`;
      const index = seen[key] = (seen[key] ?? -1) + 1;
      items.push(edge.label === 'Default' && edge.kind === 'choice' ? `default:${from}` : `${edge.kind}:${from}:${index}`);
    } else {
      items.push(to ? `next:${from}` : `end:${from}`);
    }
  }
  return items;
}

function row(cells, tag = 'td') {
  const tr = document.createElement('tr');
  for (const [text, cls] of cells) {
    const cell = document.createElement(tag);
    cell.textContent = text;
    if (cls) cell.className = cls;
    tr.append(cell);
  }
  return tr;
}

for (const machine of machines) {
  const section = document.createElement('section');
  section.className = 'machine';
  section.dataset.machine = machine.name;
  const title = document.createElement('h2');
  title.textContent = `${machine.name}: ${machine.percent}% (${machine.runs} runs)`;
  const graph = drawGraph(machine.definition);
  const statuses = {};
  for (const name of Object.keys(statesOf(machine.definition))) statuses[name] = stateStatus(name, machine.counts);
  graph.setStatuses(statuses);
  const drawn = graph.element.querySelectorAll('g.edge');
  edgeItems(machine.definition, machine.counts).forEach((item, index) => {
    const edge = drawn[index];
    if (!edge || !item) return;
    edge.classList.add(machine.counts[item] > 0 ? 'hit' : 'missed');
    edge.dataset.item = item;
  });
  const table = document.createElement('table');
  table.className = 'items';
  table.append(row([['item'], ['hits']], 'th'));
  for (const [item, count] of Object.entries(machine.counts)) table.append(row([[item], [String(count), count ? '' : 'miss']]));
  section.append(title, graph.element, table);
  root.append(section);
}
document.body.dataset.ready = 'true';
"""

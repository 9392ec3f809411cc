"""Mutation fuzzing of the definition validator.

Takes valid definitions (built-in seeds, plus every definition of the conformance corpus when it is
found), mutates each many ways (structure and raw text), and checks for every mutation that:

* ``validate`` returns (no exception, so never an HTTP 500 either: the API path
  ``statemachines.validate`` / ``check_definition`` is exercised too and may raise only ApiError);
* every refusal has a location that resolves in the mutated input: a JSON pointer that exists in
  the document, or a (line, column) inside the text for a syntax error.

Usage: ``python fuzz/mutate.py [--count 100000] [--seed 1] [--corpus DIR]``. Prints the figures and
exits 1 when any crash or unresolvable location was seen.
"""

from __future__ import annotations

import argparse
import copy
import glob
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stepforge.asl.validation.validator import INTERNAL_ERROR, ValidationReport, resolve_pointer, validate
from stepforge.service import statemachines
from stepforge.service.context import Request
from stepforge.service.errors import ApiError

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "cases"

SEEDS: list[dict[str, Any]] = [
    {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"a.$": "$.x", "b": [1, {"c.$": "States.Format('{}', $.y)"}]},
              "ResultPath": "$.r", "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "TimeoutSeconds": 10,
              "Retry": [{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 2}, {"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}], "Next": "C"},
        "C": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericGreaterThan": 1, "Next": "W"},
            {"And": [{"Variable": "$.s", "StringEquals": "a"}, {"Not": {"Variable": "$.b", "IsNull": True}}],
             "Next": "M"}], "Default": "S"},
        "W": {"Type": "Wait", "Timestamp": "2024-01-01T00:00:00Z", "Next": "Par"},
        "Par": {"Type": "Parallel", "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
            {"StartAt": "B2", "States": {"B2": {"Type": "Succeed"}}}], "Next": "S"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "I",
                                "States": {"I": {"Type": "Pass", "End": True}}}, "Next": "S"},
        "F": {"Type": "Fail", "ErrorPath": "$.err.Error", "CausePath": "States.JsonToString($.err)"},
        "S": {"Type": "Succeed"},
    }},
    {"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": {"x": "{% $states.input.x %}"}, "Assign": {"v": 1}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $v > 0 %}", "Next": "T"}], "Default": "E"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"p": "{% $v %}"},
              "TimeoutSeconds": "{% 5 %}", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "E"}], "End": True},
        "E": {"Type": "Fail", "Error": "Oops", "Cause": "{% 'because' %}"},
    }},
]
VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, 10**30, "", "x", "$", "$.", "$.a[", "$$.Execution.Id", "$var.x",
    "States.Format('{}', $.a)", "States.Nope(1)", "States.Array(", "{% %}", "{% $x %}", "{%", "States.ALL",
    "States.Bogus", "2016-13-05T00:00:00Z", "arn:aws:states:::nope:nope", "x" * 200, [], {}, [1, "a"],
    {"a.$": "$.b"}, {"StartAt": "Z", "States": {}}, "JSONata", "JSONPath", "DISTRIBUTED", "Pass", "Map",
]
NEST = "__nest_here__"
KEYS = ["Type", "Next", "End", "Resource", "Parameters", "ResultPath", "InputPath", "Choices", "Default",
        "Branches", "ItemProcessor", "Iterator", "Retry", "Catch", "ErrorEquals", "Seconds", "Timestamp",
        "QueryLanguage", "Output", "Arguments", "Assign", "Label", "Bogus", "x.$", "StartAt", "States", ""]


@dataclass
class Figures:
    """What a fuzz run saw."""

    mutations: int = 0
    accepted: int = 0
    refused: int = 0
    crashes: int = 0
    unlocated: int = 0
    http_500: int = 0
    examples: list[str] = field(default_factory=list)


def _containers(node: Any) -> list[Any]:
    found, pending = [], [node]
    while pending:
        item = pending.pop()
        if isinstance(item, (dict, list)):
            found.append(item)
            pending.extend(item.values() if isinstance(item, dict) else item)
    return found


def _mutate_document(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    target = rng.choice(_containers(doc))
    action = rng.randrange(6)
    if isinstance(target, list):
        if target and action < 3:
            target[rng.randrange(len(target))] = rng.choice(VALUES)
        elif target:
            del target[rng.randrange(len(target))]
        else:
            target.append(rng.choice(VALUES))
        return doc
    keys = list(target)
    if action == 0 and keys:
        del target[rng.choice(keys)]
    elif action == 1 and keys:
        target[rng.choice(keys)] = copy.deepcopy(rng.choice(VALUES))
    elif action == 2 and keys:
        old = rng.choice(keys)
        target[rng.choice(KEYS)] = target.pop(old)
    elif action == 3 and keys:
        target[rng.choice(keys)] = NEST
    else:
        target[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
    return doc


def _nested_text(rng: random.Random) -> str:
    """A deeply nested value, built as text (Python's own json and copy would recurse too deep)."""
    depth = rng.choice((2, 30, 600, 1200))
    opening, closing = ('[', ']') if rng.random() < 0.5 else ('{"k":', '}')
    return opening * depth + json.dumps(rng.choice(VALUES)) + closing * depth


def _mutate_text(text: str, rng: random.Random) -> str:
    if not text:
        return rng.choice(["{", " ", "null"])
    at = rng.randrange(len(text))
    choice = rng.randrange(4)
    if choice == 0:
        return text[:at] + text[at + 1:]
    if choice == 1:
        return text[:at] + rng.choice('{}[]",:\\ 0a\x00\u00e9') + text[at:]
    if choice == 2:
        return text[:at]
    return text[:at] + text[at:].replace('"', "'", 1)


def mutation(seed_doc: Any, rng: random.Random) -> str:
    """One mutated definition text (1 to 3 edits)."""
    doc = seed_doc
    for _ in range(rng.randint(1, 3)):
        doc = _mutate_document(doc, rng)
    text = json.dumps(doc)
    while f'"{NEST}"' in text:
        text = text.replace(f'"{NEST}"', _nested_text(rng), 1)
    return _mutate_text(text, rng) if rng.random() < 0.15 else text


def located(report: ValidationReport, text: str) -> bool:
    """Whether every ERROR of ``report`` names a place that exists in ``text``."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    lines = text.split("\n")
    for diagnostic in report.errors:
        if diagnostic.position is not None:
            line, column = diagnostic.position
            if not (1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1):
                return False
        elif diagnostic.location is None:
            if isinstance(document, dict):
                return False
        elif not diagnostic.location.startswith("/") or not _exists(document, diagnostic.location):
            return False
    return True


def _through_api(text: str) -> bool:
    """False when the API path would answer 500 (an exception other than an ApiError)."""
    try:
        statemachines.validate(None, Request(params={"definition": text, "severity": "WARNING"},  # type: ignore[arg-type]
                                             region="us-east-1"))
        statemachines.check_definition(text)
    except ApiError:
        pass
    except Exception:  # noqa: BLE001 - any other exception is what the API would turn into a 500
        return False
    return True


def check_one(text: str, figures: Figures) -> None:
    """Validate one mutated text and count what happened."""
    figures.mutations += 1
    try:
        report = validate(text)
    except Exception as exc:  # noqa: BLE001 - the point of the exercise: count, never stop
        figures.crashes += 1
        figures.examples.append(f"crash {type(exc).__name__}: {exc}: {text[:300]}")
        return
    if any(d.message.startswith(INTERNAL_ERROR) for d in report.diagnostics):
        figures.crashes += 1
        figures.examples.append(f"internal error: {text[:300]}")
    if report.result == "OK":
        figures.accepted += 1
    else:
        figures.refused += 1
        if not located(report, text):
            figures.unlocated += 1
            figures.examples.append(f"unlocated {[d.location for d in report.errors]}: {text[:300]}")
    if not _through_api(text):
        figures.http_500 += 1
        figures.examples.append(f"api exception: {text[:300]}")


def load_seeds(corpus: Path | None) -> list[Any]:
    """The built-in seeds plus the corpus's definitions that AWS accepted."""
    seeds: list[Any] = list(SEEDS)
    if corpus is None or not corpus.is_dir():
        return seeds
    for path in sorted(glob.glob(str(corpus / "*.jsonl"))):
        for line in Path(path).read_text().split("\n"):
            if not line.strip():
                continue
            case = json.loads(line)
            if case.get("kind") in ("start_execution", "start_sync_execution") and case.get("definition"):
                seeds.append(case["definition"])
    return seeds


def run(count: int, seed: int, corpus: Path | None) -> Figures:
    """Run ``count`` mutations drawn with ``random.Random(seed)``."""
    rng = random.Random(seed)
    seeds = load_seeds(corpus)
    figures = Figures()
    for _ in range(count):
        check_one(mutation(rng.choice(seeds), rng), figures)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = run(args.count, args.seed, args.corpus)
    elapsed = time.perf_counter() - started
    print(f"mutations: {figures.mutations}")
    print(f"accepted:  {figures.accepted}")
    print(f"refused:   {figures.refused}")
    print(f"crashes:   {figures.crashes}")
    print(f"refusals without a resolvable location: {figures.unlocated}")
    print(f"API exceptions (would be HTTP 500): {figures.http_500}")
    print(f"time: {elapsed:.1f} s ({figures.mutations / max(elapsed, 1e-9):.0f} mutations/s)")
    for example in figures.examples[:10]:
        print("  " + example, file=sys.stderr)
    return 1 if figures.crashes or figures.unlocated or figures.http_500 else 0


def _exists(document: Any, pointer: str) -> bool:
    return resolve_pointer(document, pointer) == pointer


if __name__ == "__main__":
    raise SystemExit(main())

"""The JSONata guard bounds every evaluation from inside its own thread: regexes, guarded built-ins,
other threads, and an engine batch that commits around a runaway expression."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from jsonata import Functions  # type: ignore[import-untyped]
from jsonata.regex_engine import RegexFlags  # type: ignore[import-untyped]

from stepforge.asl.query import jsonata_functions
from stepforge.asl.query.guard import DEFAULT_LIMITS, Budget, Exhausted, Limits
from stepforge.asl.query.jsonata import QueryError, compile_expression
from stepforge.asl.scope import Scope
from stepforge.service import teststate
from stepforge.store.check import check_store
from stepforge.store.sqlite import SqliteStore
from stepforge.testing import Harness

CATASTROPHIC = "/^(a|aa)+$/"  # backtracks through every way of splitting the a's: fib(60) of them
DOOMED = "a" * 60 + "b"


def evaluate(text: str, value: Any = None, limits: Limits = DEFAULT_LIMITS) -> Any:
    scope = Scope(value, {"State": {"Name": "S"}}, {}, random.Random(7))
    return compile_expression("{% " + text + " %}", "/x").evaluate(scope, limits=limits)


def failure(text: str, value: Any = None, seconds: float = 0.3, max_bytes: int = DEFAULT_LIMITS.max_bytes) -> str:
    with pytest.raises(QueryError) as caught:
        evaluate(text, value, Limits(seconds=seconds, max_bytes=max_bytes))
    assert caught.value.kind == "error"
    return caught.value.detail


# -- regular expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    f"$match($s, {CATASTROPHIC})",
    f"$contains($s, {CATASTROPHIC})",
    f"$replace($s, {CATASTROPHIC}, 'x')",
    f"$replace($s, {CATASTROPHIC}, function($m){{ $m.match }})",
    f"$split($s, {CATASTROPHIC})",
    f"{CATASTROPHIC}($s)",
])
def test_a_catastrophic_regex_ends_at_the_deadline(call: str) -> None:
    assert failure(f"( $s := '{DOOMED}'; {call} )") == "The evaluation exceeded its time limit"


@pytest.mark.parametrize(("text", "expected"), [
    ("$match('ab12cd345', /\\d+/)", [{"match": "12", "index": 2, "groups": []},
                                     {"match": "345", "index": 6, "groups": []}]),
    ("$match('k=v', /(\\w)=(\\w)/).groups", ["k", "v"]),
    ("$contains('Hello', /hel/i)", True),
    ("$contains('Hello', /hel/)", False),
    ("$replace('John Smith', /(\\w+)\\s(\\w+)/, '$2, $1')", "Smith, John"),
    ("$replace('abc', /(b)/, '[$0|$1|$9|$$]')", "a[b|b||$]c"),  # a missing group is dropped, as before
    ("$replace('a1b2', /\\d/, '#', 1)", "a#b2"),
    ("$replace('ab', /./, function($m){ $uppercase($m.match) })", "AB"),
    ("$split('a1b22c', /\\d+/)", ["a", "b", "c"]),
    ("$split('a1b2c', /\\d/, 2)", ["a", "b"]),
    ("$split('one\\ntwo', /^/m)", ["", "one\n", "two"]),
    ("/b+/('abbbc').match", "bbb"),
])
def test_regexes_keep_their_meaning(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


def test_an_invalid_regex_is_still_a_definition_error() -> None:
    with pytest.raises(Exception, match="Invalid JSONata expression"):
        compile_expression("{% $match('x', /(a/) %}", "/x")


def test_many_regex_matches_are_charged_as_they_are_found() -> None:
    detail = failure("$count($match($pad('', 20000, 'a'), /a/))", seconds=30, max_bytes=1_000_000)
    assert detail == "The evaluation exceeded its memory limit"


# -- guarded built-ins -----------------------------------------------------------------------------


@pytest.mark.parametrize(("pattern", "replacement", "limit"), [
    ("a", "x", None), ("a", "$$", None), ("a", "<$0>", None), ("a", "$1$", None), ("a", "$", None),
    ("ab", "$0$0", 2), ("a", "-", 0), ("a", "-", 1.5), ("zz", "y", None), ("a", "", 1e300),
])
def test_replacing_a_string_matches_the_library(pattern: str, replacement: str, limit: Any) -> None:
    text = "abcabca ab"
    assert jsonata_functions.replace(text, pattern, replacement, limit) == \
        Functions.replace(text, pattern, replacement, limit)


def test_replacing_a_string_in_a_huge_text_is_one_native_call() -> None:
    # The library's loop copies the rest of the text at every occurrence: quadratic, for hours here.
    assert evaluate("$length($replace($pad('', 10000000, 'a'), 'a', 'b'))", limits=Limits(seconds=30)) == 10000000


@pytest.mark.parametrize("text", ["$split($pad('', 20000, 'a'), '')", "$split($pad('', 20000, 'a'), 'a')"])
def test_splitting_into_too_many_pieces_is_refused_before_it_allocates(text: str) -> None:
    assert failure(text, seconds=30, max_bytes=1_000_000) == "The evaluation exceeded its memory limit"


def test_splitting_into_characters_up_to_a_limit_reserves_only_the_pieces_kept() -> None:
    limits = Limits(max_bytes=1_000_000)
    assert evaluate("$split($pad('', 20000, 'a'), '', 2)", limits=limits) == ["a", "a"]


def test_sorting_with_a_comparator_is_bounded_by_the_evaluator() -> None:
    detail = failure("$sort([1..100000], function($a, $b){ $a < $b })")
    assert detail == "The evaluation exceeded its time limit"


@pytest.mark.parametrize("call", [
    lambda: jsonata_functions.sort(list(range(100_000, 0, -1))),
    lambda: jsonata_functions.distinct(list(range(5000))),
    lambda: jsonata_functions.bounded_regex("a", RegexFlags()).search("a"),
    lambda: list(jsonata_functions.bounded_regex("a", RegexFlags()).finditer("aaa")),
])
def test_native_work_checks_the_deadline(call: Callable[[], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonata_functions.CURRENT, "budget", Budget(Limits(), deadline=0.0))  # already past
    with pytest.raises(Exhausted):
        call()


def test_guarded_built_ins_keep_their_results_and_signatures() -> None:
    shuffled = random.Random(3).sample(range(100_000), 100_000)  # large enough to sort in runs
    assert evaluate("$sort($states.input)", shuffled, Limits(seconds=30)) == sorted(shuffled)
    assert evaluate("$sort(['b', 'a'])") == ["a", "b"]
    assert evaluate("$sort([1..100000])", limits=Limits(seconds=30)) == list(range(1, 100_001))
    assert evaluate("$sort(5)") == [5]
    assert evaluate("$distinct([1, 2, 1, 'a', 'a'])") == [1, 2, "a"]
    assert evaluate("$split('a,b', ',')") == ["a", "b"]
    assert evaluate("['x', 'y'] ~> $join('+')") == "x+y"
    assert evaluate("$states.input.name.$pad(4, '.')", {"name": "ab"}) == "ab.."  # the context fills `s-`


def test_sorting_mixed_types_is_an_evaluation_error() -> None:
    assert "TypeError" in failure("$sort($states.input)", [1, "a"] * 50_000, seconds=30)


def test_spending_the_budget_checks_the_deadline_every_so_often() -> None:
    budget = Budget(Limits(check_every=10), deadline=0.0, next_check=10)
    budget.spend(9)
    with pytest.raises(Exhausted):
        budget.spend(1)


# -- threads ---------------------------------------------------------------------------------------


def test_the_guard_starts_no_thread() -> None:
    before = set(threading.enumerate())
    failure(f"$match('{DOOMED}', {CATASTROPHIC})")
    failure("( $f := function($n){ $f($n + 1) }; $f(0) )")
    assert set(threading.enumerate()) == before


def test_evaluations_on_pool_threads_are_bounded_each_on_its_own() -> None:
    runaway = f"$match('{DOOMED}', {CATASTROPHIC})"
    with ThreadPoolExecutor(max_workers=2) as pool:
        bounded = pool.submit(failure, runaway)
        ordinary = [pool.submit(evaluate, "$sum([1..100])") for _ in range(20)]
        assert bounded.result(timeout=30) == "The evaluation exceeded its time limit"
        assert [f.result(timeout=30) for f in ordinary] == [5050] * 20


def test_test_state_on_a_pool_thread_fails_a_runaway_expression() -> None:
    harness = Harness()
    definition = {"QueryLanguage": "JSONata", "Type": "Pass",
                  "Output": "{% ( $f := function($n){ $f($n + 1) }; $f(0) ) %}", "End": True}
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(harness.call, teststate.test_state, definition=json.dumps(definition)).result(30)
    assert (response["status"], response["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "time limit" in response["cause"]


# -- the engine's transaction ----------------------------------------------------------------------


def machine(expression: str) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": "S",
            "States": {"S": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}}}


RUNAWAYS = {
    "depth": "( $f := function($n){ 1 + $f($n + 1) }; $f(0) )",
    "memory": "$range(0, 1e9, 1)",
    "time (regex)": f"$match('{DOOMED}', {CATASTROPHIC})",
    "time (native loop)": "$count($distinct([1..100000]))",
}


def test_runaway_expressions_fail_alone_inside_a_batch_that_commits(tmp_path: Any) -> None:
    harness = Harness(store=SqliteStore(tmp_path))
    ordinary = [harness.start(machine(f"$states.input.n * {i}"), {"n": 2}) for i in range(3)]
    runaways = {reason: harness.start(machine(text)) for reason, text in RUNAWAYS.items()}
    assert harness.engine.run_once(harness.clock.now()) == len(ordinary) + len(runaways)  # one batch
    reopened = SqliteStore(tmp_path)  # what the batch committed, read back through a new connection
    outputs = [record.output if (record := reopened.get_execution(arn)) else None for arn in ordinary]
    assert [json.loads(output or "null") for output in outputs] == [0, 2, 4]
    for reason, arn in runaways.items():
        record = reopened.get_execution(arn)
        assert record is not None and (record.status, record.error) == ("FAILED", "States.QueryEvaluationError")
        assert reason.split()[0] in (record.cause or ""), record.cause
    report = check_store(reopened)
    assert report.executions == 7 and report.problems == []


def test_outside_an_evaluation_the_guarded_built_ins_never_refuse() -> None:
    outside = jsonata_functions.CURRENT.budget
    outside.reserve(2 * DEFAULT_LIMITS.max_bytes)
    outside.spend(10 * DEFAULT_LIMITS.check_every)
    assert jsonata_functions.sort([3, 1, 2] * 20_000)[:2] == [1, 1]

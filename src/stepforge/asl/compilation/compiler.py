"""Compile a validated ASL definition into the immutable tree of :mod:`stepforge.asl.compilation.states`.

The validator (:mod:`stepforge.asl.validation`) is the only judge of a definition; the compiler
reads what it accepted and checks nothing again. ``validate_and_compile`` in
:mod:`stepforge.asl.validation.validator` runs both on one parsed document. There is one builder per
state type whatever the query language: each asks the state's :class:`Dialect` for the few fields
that the language spells its own way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.dialects import DIALECTS, Dialect, Fields, Raw
from stepforge.asl.compilation.items import compile_item_field
from stepforge.asl.compilation.variables import compile_assign
from stepforge.asl.query.languages import JSONPATH

#: The state types without a transition of their own (``Next``/``End``).
_NO_TRANSITION: Final = ("Choice", "Succeed", "Fail")


def compile_definition(definition: str | Mapping[str, Any]) -> st.StateMachine:
    """Compile a definition the validator accepted, given as JSON text or parsed.

    The compiler trusts its input: a definition that did not pass validation may fail here with any
    exception. Stored definitions were validated when they were created or updated.
    """
    document = json.loads(definition) if isinstance(definition, str) else definition
    return _Compiler(document.get("QueryLanguage", JSONPATH)).machine(document, "", top_level=True)


def _escape(name: str) -> str:
    """A key as a JSON pointer token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


class _Compiler:
    """Walks a definition; each method compiles one construct found at a JSON pointer."""

    def __init__(self, top_language: str) -> None:
        self.top_language = top_language

    def machine(self, raw: Raw, at: str, *, top_level: bool = False) -> st.StateMachine:
        states = {name: self.state(name, state, f"{at}/States/{_escape(name)}") for name, state in raw["States"].items()}
        timeout = raw.get("TimeoutSeconds") if top_level else None
        return st.StateMachine(raw["StartAt"], states, timeout, raw.get("Comment"))

    def state(self, name: str, raw: Raw, at: str) -> st.State:
        kind = raw["Type"]
        dialect = DIALECTS[raw.get("QueryLanguage", self.top_language)]
        common: Fields = {"name": name, "type": kind, "comment": raw.get("Comment"), "query_language": dialect.name}
        if kind != "Fail":
            common.update(dialect.io(raw, at))
        if kind not in _NO_TRANSITION:
            common.update(next=raw.get("Next"), end=raw.get("End") is True)
        if "Assign" in raw:
            common["assign"] = compile_assign(raw["Assign"], f"{at}/Assign", dialect.name)
        return _BUILDERS[kind](self, dialect, raw, at, common)

    def recovery(self, dialect: Dialect, raw: Raw, at: str) -> Fields:
        return {
            "retry": tuple(_retrier(r) for r in raw.get("Retry", [])),
            "catch": tuple(dialect.catcher(c, f"{at}/Catch/{i}") for i, c in enumerate(raw.get("Catch", []))),
        }

    # -- one builder per state type ----------------------------------------------------------

    def pass_(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.PassState(**common, **dialect.result(raw, at), result=raw.get("Result"), has_result="Result" in raw)

    def task(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.TaskState(
            **common, **dialect.result(raw, at), **self.recovery(dialect, raw, at),
            resource=raw["Resource"],
            timeout=dialect.number(raw, "TimeoutSeconds", at),
            heartbeat=dialect.number(raw, "HeartbeatSeconds", at),
            credentials=raw.get("Credentials"),
        )

    def choice(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.ChoiceState(**common, choices=dialect.choice_rules(raw, at), default=raw.get("Default"))

    def wait(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.WaitState(**common, **dialect.wait(raw, at))

    def succeed(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.SucceedState(**common)

    def fail(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.FailState(**common, **dialect.fail(raw, at))

    def parallel(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        return st.ParallelState(
            **common, **dialect.result(raw, at), **self.recovery(dialect, raw, at),
            branches=tuple(self.machine(b, f"{at}/Branches/{i}") for i, b in enumerate(raw["Branches"])),
        )

    def map(self, dialect: Dialect, raw: Raw, at: str, common: Fields) -> st.State:
        key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        processor = raw[key]
        result = dialect.result(raw, at)
        result.pop("parameters", None)  # a JSONPath Map's Parameters is its ItemSelector (see Dialect.items)
        return st.MapState(
            **common, **result, **self.recovery(dialect, raw, at), **dialect.items(raw, at),
            processor=self.machine(processor, f"{at}/{key}"),
            max_concurrency=dialect.number(raw, "MaxConcurrency", at) or st.IntOrPath(0.0),
            tolerated_failure_count=dialect.number(raw, "ToleratedFailureCount", at),
            tolerated_failure_percentage=dialect.number(raw, "ToleratedFailurePercentage", at),
            label=raw.get("Label"),
            distributed=processor.get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED",
            item_reader=compile_item_field(raw, "ItemReader", dialect.name, at),
            item_batcher=compile_item_field(raw, "ItemBatcher", dialect.name, at),
            result_writer=compile_item_field(raw, "ResultWriter", dialect.name, at),
        )


_Builder = Callable[[_Compiler, Dialect, Raw, str, Fields], st.State]
_BUILDERS: Final[dict[str, _Builder]] = {
    "Pass": _Compiler.pass_, "Task": _Compiler.task, "Choice": _Compiler.choice, "Wait": _Compiler.wait,
    "Succeed": _Compiler.succeed, "Fail": _Compiler.fail, "Parallel": _Compiler.parallel, "Map": _Compiler.map,
}




def _retrier(raw: Raw) -> st.Retrier:
    return st.Retrier(
        error_equals=tuple(raw["ErrorEquals"]),
        interval_seconds=raw.get("IntervalSeconds", 1),
        max_attempts=raw.get("MaxAttempts", 3),
        backoff_rate=float(raw.get("BackoffRate", 2.0)),
        max_delay_seconds=raw.get("MaxDelaySeconds"),
        jitter=raw.get("JitterStrategy", "NONE"),
    )

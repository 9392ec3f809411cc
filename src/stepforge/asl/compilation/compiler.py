"""Compile an ASL definition (parsed JSON) into the immutable tree of :mod:`stepforge.asl.compilation.states`.

``compile_definition`` is the one entry point. It refuses what the interpreter cannot run with a
:class:`DefinitionError` carrying the JSON pointer of the offending field. The complete validator
(every rule AWS enforces, warnings, file positions) builds on this and lives in its own module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

from stepforge.asl.compilation import jsonata
from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.choice import compile_choice_rules
from stepforge.asl.compilation.variables import check_scopes, compile_assign
from stepforge.asl.errors import DefinitionError
from stepforge.asl.query.intrinsics import compile_intrinsic
from stepforge.asl.query.jsonpath import (
    JsonPath,
    PathSyntaxError,
    ReferencePath,
    compile_path,
    compile_reference_path,
)
from stepforge.asl.query.payload import Template, compile_template

MAX_NAME_LENGTH = 80
_ABSENT = object()


def compile_definition(definition: str | Mapping[str, Any]) -> st.StateMachine:
    """Parse (when given text) and compile a whole definition."""
    if isinstance(definition, str):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise DefinitionError(f"Definition is not valid JSON: {exc}", "") from exc
    if not isinstance(definition, Mapping):
        raise DefinitionError("Definition must be a JSON object", "")
    language = definition.get("QueryLanguage", st.JSONPATH)
    if language not in jsonata.LANGUAGES:
        raise DefinitionError(f"QueryLanguage must be one of {', '.join(jsonata.LANGUAGES)}", "/QueryLanguage")
    machine = _Compiler(language).machine(definition, "", top_level=True)
    check_scopes(machine)
    return machine


class _Compiler:
    """Walks a definition; each method compiles one construct found at a JSON pointer."""

    def __init__(self, language: str = st.JSONPATH) -> None:
        self.language = language

    def machine(self, obj: Any, at: str, *, top_level: bool = False) -> st.StateMachine:
        obj = _object(obj, at)
        start_at = _string(obj.get("StartAt"), f"{at}/StartAt", required=True)
        raw_states = _object(obj.get("States"), f"{at}/States")
        if not raw_states:
            raise DefinitionError("States must not be empty", f"{at}/States")
        compiled = {name: self.state(name, raw, f"{at}/States/{_escape(name)}") for name, raw in raw_states.items()}
        if start_at not in compiled:
            raise DefinitionError(f"StartAt {start_at!r} is not a state of this machine", f"{at}/StartAt")
        for name, state in compiled.items():
            self._check_targets(state, compiled, f"{at}/States/{_escape(name)}")
        timeout = obj.get("TimeoutSeconds") if top_level else None
        if timeout is not None:
            timeout = _integer(timeout, f"{at}/TimeoutSeconds", minimum=1)
        return st.StateMachine(start_at, compiled, timeout, obj.get("Comment"))

    def state(self, name: str, raw: Any, at: str) -> st.State:
        if len(name) > MAX_NAME_LENGTH:
            raise DefinitionError(f"State name is longer than {MAX_NAME_LENGTH} characters", at)
        raw = _object(raw, at)
        kind = _string(raw.get("Type"), f"{at}/Type", required=True)
        if kind not in _BUILDERS:
            raise DefinitionError(f"Unknown state type {kind!r}", f"{at}/Type")
        language = jsonata.language_of(raw, at, self.language)
        jsonata.check_fields(raw, at, language)
        common: dict[str, Any] = {"name": name, "type": kind, "comment": raw.get("Comment"),
                                  "query_language": language}
        if kind not in ("Choice", "Succeed", "Fail"):
            common.update(self._transition(raw, at))
        elif kind == "Choice" and "End" in raw:
            raise DefinitionError("A Choice state cannot have End", f"{at}/End")
        if "Assign" in raw:
            if kind in ("Succeed", "Fail"):
                raise DefinitionError(f"A {kind} state cannot have Assign", f"{at}/Assign")
            common["assign"] = compile_assign(raw["Assign"], f"{at}/Assign", language)
        if language == st.JSONATA:
            if kind != "Fail":
                common["output"] = jsonata.optional_query(raw, "Output", at)
            return jsonata.BUILDERS[kind](self, raw, at, common)
        if kind != "Fail":
            common["input_path"] = self.optional_path(raw, "InputPath", at)
            common["output_path"] = self.optional_path(raw, "OutputPath", at)
        return _BUILDERS[kind](self, raw, at, common)

    def _transition(self, raw: Mapping[str, Any], at: str) -> dict[str, Any]:
        has_next, end = "Next" in raw, raw.get("End", False)
        if end is not False and end is not True:
            raise DefinitionError("End must be a boolean", f"{at}/End")
        if has_next and end:
            raise DefinitionError("A state cannot have both Next and End", at)
        if not has_next and not end:
            raise DefinitionError("A state must have either Next or End: true", at)
        return {"next": _string(raw.get("Next"), f"{at}/Next") if has_next else None, "end": bool(end)}

    def _check_targets(self, state: st.State, known: Mapping[str, st.State], at: str) -> None:
        targets: list[tuple[str, str]] = []
        if state.next is not None:
            targets.append((state.next, f"{at}/Next"))
        if isinstance(state, st.ChoiceState):
            targets += [(rule.next, f"{at}/Choices/{i}/Next") for i, rule in enumerate(state.choices)]
            if state.default is not None:
                targets.append((state.default, f"{at}/Default"))
        if isinstance(state, st.RecoverableState):
            targets += [(c.next, f"{at}/Catch/{i}/Next") for i, c in enumerate(state.catch)]
        for target, pointer in targets:
            if target not in known:
                raise DefinitionError(f"Missing 'Next' target: {target}", pointer)

    # -- fields shared by several state types --------------------------------------------

    def optional_path(self, raw: Mapping[str, Any], key: str, at: str) -> JsonPath | None:
        """InputPath/OutputPath: absent means ``$``; JSON null stays None (the caller's meaning)."""
        value = raw.get(key, "$")
        return None if value is None else _path(value, f"{at}/{key}")

    def result_fields(self, raw: Mapping[str, Any], at: str, *, selector: bool = True) -> dict[str, Any]:
        fields: dict[str, Any] = {"parameters": _template(raw, "Parameters", at)}
        if selector:
            fields["result_selector"] = _template(raw, "ResultSelector", at)
        result_path = raw.get("ResultPath", "$")
        fields["discard_result"] = result_path is None
        fields["result_path"] = None if result_path is None else _reference(result_path, f"{at}/ResultPath")
        return fields

    def recovery(self, raw: Mapping[str, Any], at: str) -> dict[str, Any]:
        retry = _array(raw.get("Retry", []), f"{at}/Retry")
        catch = _array(raw.get("Catch", []), f"{at}/Catch")
        return {
            "retry": tuple(_retrier(r, f"{at}/Retry/{i}") for i, r in enumerate(retry)),
            "catch": tuple(self.catcher(c, f"{at}/Catch/{i}") for i, c in enumerate(catch)),
        }

    def catcher(self, value: Any, at: str) -> st.Catcher:
        caught = _catcher(value, at)
        if "Assign" in value:
            return dataclasses.replace(caught, assign=compile_assign(value["Assign"], f"{at}/Assign", st.JSONPATH))
        return caught

    # -- one builder per state type ----------------------------------------------------------

    def pass_(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        return st.PassState(
            **common, **self.result_fields(raw, at, selector=False),
            result=raw.get("Result"), has_result="Result" in raw,
        )

    def task(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        return st.TaskState(
            **common, **self.result_fields(raw, at), **self.recovery(raw, at),
            resource=_string(raw.get("Resource"), f"{at}/Resource", required=True),
            timeout=_int_or_path(raw, "TimeoutSeconds", at),
            heartbeat=_int_or_path(raw, "HeartbeatSeconds", at),
            credentials=raw.get("Credentials"),
        )

    def choice(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        choices = _array(raw.get("Choices"), f"{at}/Choices")
        if not choices:
            raise DefinitionError("Choices must not be empty", f"{at}/Choices")
        default = raw.get("Default")
        rules = tuple(
            dataclasses.replace(rule, assign=compile_assign(rule.assign, f"{at}/Choices/{i}/Assign", st.JSONPATH))
            if rule.assign is not None else rule
            for i, rule in enumerate(compile_choice_rules(choices, f"{at}/Choices"))
        )
        return st.ChoiceState(
            **common, choices=rules,
            default=None if default is None else _string(default, f"{at}/Default"),
        )

    def wait(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        given = [k for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if k in raw]
        if len(given) != 1:
            raise DefinitionError(
                "A Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath", at
            )
        key = given[0]
        value = raw[key]
        if key == "Seconds":
            return st.WaitState(**common, seconds=_integer(value, f"{at}/Seconds", minimum=0))
        if key == "Timestamp":
            return st.WaitState(**common, timestamp=_string(value, f"{at}/Timestamp"))
        path = _path(value, f"{at}/{key}")
        if key == "SecondsPath":
            return st.WaitState(**common, seconds_path=path)
        return st.WaitState(**common, timestamp_path=path)

    def succeed(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        return st.SucceedState(**common)

    def fail(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        for key in ("Error", "Cause"):
            if key in raw and f"{key}Path" in raw:
                raise DefinitionError(f"A Fail state cannot have both {key} and {key}Path", at)
        return st.FailState(
            **common,
            error=_optional_string(raw, "Error", at), cause=_optional_string(raw, "Cause", at),
            error_path=_path_or_intrinsic(raw, "ErrorPath", at),
            cause_path=_path_or_intrinsic(raw, "CausePath", at),
        )

    def parallel(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        branches = _array(raw.get("Branches"), f"{at}/Branches")
        if not branches:
            raise DefinitionError("Branches must not be empty", f"{at}/Branches")
        return st.ParallelState(
            **common, **self.result_fields(raw, at), **self.recovery(raw, at),
            branches=tuple(self.machine(b, f"{at}/Branches/{i}") for i, b in enumerate(branches)),
        )

    def map(self, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
        key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
        processor_raw = _object(raw.get(key), f"{at}/{key}")
        config = _object(processor_raw.get("ProcessorConfig", {}), f"{at}/{key}/ProcessorConfig")
        if "ItemSelector" in raw and "Parameters" in raw:
            raise DefinitionError("A Map state cannot have both ItemSelector and Parameters", at)
        fields = self.result_fields(raw, at)
        fields.pop("parameters")
        selector_key = "ItemSelector" if "ItemSelector" in raw else "Parameters"
        max_concurrency = _int_or_path(raw, "MaxConcurrency", at) or st.IntOrPath(0.0)
        return st.MapState(
            **common, **fields, **self.recovery(raw, at),
            processor=self.machine(processor_raw, f"{at}/{key}"),
            items_path=self.optional_path(raw, "ItemsPath", at),
            item_selector=_template(raw, selector_key, at),
            max_concurrency=max_concurrency,
            tolerated_failure_count=_int_or_path(raw, "ToleratedFailureCount", at),
            tolerated_failure_percentage=_int_or_path(raw, "ToleratedFailurePercentage", at, number=True),
            label=_optional_string(raw, "Label", at),
            distributed=config.get("Mode") == "DISTRIBUTED",
            unsupported=jsonata.unsupported_map_field(raw),
        )


_Builder = Callable[[_Compiler, Mapping[str, Any], str, dict[str, Any]], st.State]
_BUILDERS: dict[str, _Builder] = {
    "Pass": _Compiler.pass_, "Task": _Compiler.task, "Choice": _Compiler.choice, "Wait": _Compiler.wait,
    "Succeed": _Compiler.succeed, "Fail": _Compiler.fail, "Parallel": _Compiler.parallel, "Map": _Compiler.map,
}


# -- field readers: each checks one JSON value and names its pointer on failure ------------------


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _object(value: Any, at: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError("Expected a JSON object", at)
    return value


def _array(value: Any, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise DefinitionError("Expected a JSON array", at)
    return value


def _string(value: Any, at: str, *, required: bool = False) -> str:
    if value is None and required:
        raise DefinitionError("Missing required field", at)
    if not isinstance(value, str):
        raise DefinitionError("Expected a string", at)
    return value


def _optional_string(raw: Mapping[str, Any], key: str, at: str) -> str | None:
    value = raw.get(key)
    return None if value is None else _string(value, f"{at}/{key}")


def _integer(value: Any, at: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError("Expected an integer", at)
    if minimum is not None and value < minimum:
        raise DefinitionError(f"Expected an integer >= {minimum}", at)
    return value


def _number(value: Any, at: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DefinitionError("Expected a number", at)
    return float(value)


def _path(value: Any, at: str) -> JsonPath:
    try:
        return compile_path(_string(value, at))
    except PathSyntaxError as exc:
        raise DefinitionError(f"Invalid JSONPath {value!r}: {exc}", at) from exc


def _reference(value: Any, at: str) -> ReferencePath:
    try:
        return compile_reference_path(_string(value, at))
    except PathSyntaxError as exc:
        raise DefinitionError(f"Invalid reference path {value!r}: {exc}", at) from exc


def _path_or_intrinsic(raw: Mapping[str, Any], key: str, at: str) -> Any:
    value = raw.get(key)
    if value is None:
        return None
    text = _string(value, f"{at}/{key}")
    if text.startswith("States."):
        return compile_intrinsic(text, path=f"{at}/{key}")
    return _path(text, f"{at}/{key}")


def _template(raw: Mapping[str, Any], key: str, at: str) -> Template | None:
    return compile_template(raw[key], f"{at}/{key}") if key in raw else None


def _int_or_path(raw: Mapping[str, Any], key: str, at: str, *, number: bool = False) -> st.IntOrPath | None:
    path_key = f"{key}Path"
    if key in raw and path_key in raw:
        raise DefinitionError(f"Cannot have both {key} and {path_key}", at)
    if key in raw:
        check = _number if number else _integer
        return st.IntOrPath(value=float(check(raw[key], f"{at}/{key}")), field=key)
    if path_key in raw:
        return st.IntOrPath(path=_path(raw[path_key], f"{at}/{path_key}"), field=path_key)
    return None


def _error_equals(raw: Mapping[str, Any], at: str) -> tuple[str, ...]:
    names = _array(raw.get("ErrorEquals"), f"{at}/ErrorEquals")
    if not names:
        raise DefinitionError("ErrorEquals must not be empty", f"{at}/ErrorEquals")
    return tuple(_string(n, f"{at}/ErrorEquals/{i}") for i, n in enumerate(names))


def _retrier(value: Any, at: str) -> st.Retrier:
    raw = _object(value, at)
    backoff = _number(raw.get("BackoffRate", 2.0), f"{at}/BackoffRate")
    if backoff < 1.0:
        raise DefinitionError("BackoffRate must be >= 1.0", f"{at}/BackoffRate")
    max_delay = raw.get("MaxDelaySeconds")
    jitter = _string(raw.get("JitterStrategy", "NONE"), f"{at}/JitterStrategy")
    if jitter not in ("FULL", "NONE"):
        raise DefinitionError("JitterStrategy must be FULL or NONE", f"{at}/JitterStrategy")
    return st.Retrier(
        error_equals=_error_equals(raw, at),
        interval_seconds=_integer(raw.get("IntervalSeconds", 1), f"{at}/IntervalSeconds", minimum=1),
        max_attempts=_integer(raw.get("MaxAttempts", 3), f"{at}/MaxAttempts", minimum=0),
        backoff_rate=backoff,
        max_delay_seconds=None if max_delay is None else _integer(max_delay, f"{at}/MaxDelaySeconds", minimum=1),
        jitter=jitter,
    )


def _catcher(value: Any, at: str) -> st.Catcher:
    raw = _object(value, at)
    result_path = raw.get("ResultPath", "$")
    return st.Catcher(
        error_equals=_error_equals(raw, at),
        next=_string(raw.get("Next"), f"{at}/Next", required=True),
        result_path=None if result_path is None else _reference(result_path, f"{at}/ResultPath"),
    )

"""Validator rules for machines and states: which fields each state type takes in each query language,
which combinations are allowed, and the graph rules (targets exist, states reachable, a terminal state).

Field rules are tables (:data:`STATE_FIELDS`): for each state type, the fields both languages accept,
those only JSONPath accepts and those only JSONata accepts, each with its checker. Rules about
several fields at once are small functions in :data:`_STATE_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from stepforge.asl.compilation.choice import compile_choice_rules
from stepforge.asl.errors import DefinitionError
from stepforge.asl.query.languages import JSONATA, JSONPATH
from stepforge.asl.validation.fields import (
    Collector,
    Scope,
    at_key,
    check_assign,
    check_boolean,
    check_expression,
    check_jsonata_array,
    check_jsonata_object,
    check_jsonata_value,
    check_non_empty_string,
    check_object,
    check_pass_parameters,
    check_path,
    check_path_or_intrinsic,
    check_reference_path,
    check_required_path,
    check_string,
    check_template,
    check_timestamp,
    integer,
    is_object,
    number,
    one_of,
)
from stepforge.asl.validation.items import check_item_batcher, check_item_reader, check_result_writer
from stepforge.asl.validation.tasks import check_handlers, check_resource

Check = Callable[[Collector, Any, str, Scope], None]
MAX_STATE_NAME: Final = 80
MAX_LABEL: Final = 40
#: How deeply Parallel/Map may nest state machines inside each other.
MAX_MACHINE_NESTING: Final = 100
TRANSITION: Final = "MISSING_TRANSITION_TARGET"
_TERMINAL_TYPES: Final = ("Succeed", "Fail")
_LABEL_FORBIDDEN: Final = frozenset(" \t\n\r<>{}[]?*\"#%\\^|~`$&,;:/")


def _retry_fields(out: Collector, raw: Any, at: str, scope: Scope) -> None:
    _check_fields(out, raw, at, scope, _RETRIER)


def _catch_fields(out: Collector, raw: Any, at: str, scope: Scope) -> None:
    _check_fields(out, raw, at, scope, {**_CATCHER, **_CATCHER_BY_LANGUAGE[scope.language]})
    if "Next" not in raw:
        out.error("The field 'Next' is required but was missing", at)


def _retry(out: Collector, value: Any, at: str, scope: Scope) -> None:
    check_handlers(out, value, at, "Retry", _retry_fields, scope)


def _catch(out: Collector, value: Any, at: str, scope: Scope) -> None:
    check_handlers(out, value, at, "Catch", _catch_fields, scope)


_IGNORED: Final[Check] = lambda out, value, at, scope: None

_RETRIER: Final[dict[str, Check]] = {
    "ErrorEquals": _IGNORED, "Comment": check_string,
    "IntervalSeconds": integer(1, expression=False), "MaxAttempts": integer(0, expression=False),
    "BackoffRate": number(1.0, expression=False), "MaxDelaySeconds": integer(1, 31622400, expression=False),
    "JitterStrategy": one_of("FULL", "NONE"),
}
_CATCHER: Final[dict[str, Check]] = {
    "ErrorEquals": _IGNORED, "Next": check_non_empty_string, "Comment": check_string, "Assign": check_assign,
}
_CATCHER_BY_LANGUAGE: Final[dict[str, dict[str, Check]]] = {
    JSONPATH: {"ResultPath": check_reference_path}, JSONATA: {"Output": check_jsonata_value},
}

_COMMON: Final[dict[str, Check]] = {
    "Type": check_string, "Comment": check_string, "QueryLanguage": one_of(JSONPATH, JSONATA),
}
_FLOW: Final[dict[str, Check]] = {"Next": check_non_empty_string, "End": check_boolean, "Assign": check_assign}
_IO: Final[dict[str, Check]] = {"InputPath": check_path, "OutputPath": check_path}
_RESULT: Final[dict[str, Check]] = {"Parameters": check_template, "ResultPath": check_reference_path}
_SELECTOR: Final[dict[str, Check]] = {"ResultSelector": check_template}
_HANDLERS: Final[dict[str, Check]] = {"Retry": _retry, "Catch": _catch}
_OUTPUT: Final[dict[str, Check]] = {"Output": check_jsonata_value}
_ARGUMENTS: Final[dict[str, Check]] = {"Arguments": check_jsonata_object}
_MAP_NUMBERS: Final[dict[str, Check]] = {
    "MaxConcurrency": integer(0), "ToleratedFailureCount": integer(0), "ToleratedFailurePercentage": number(0, 100),
}

#: state type -> (fields of both languages, JSONPath-only fields, JSONata-only fields)
STATE_FIELDS: Final[dict[str, tuple[dict[str, Check], dict[str, Check], dict[str, Check]]]] = {
    "Pass": ({**_FLOW}, {**_IO, **_RESULT, "Parameters": check_pass_parameters, "Result": _IGNORED}, {**_OUTPUT}),
    "Task": (
        {**_FLOW, **_HANDLERS, "Resource": check_resource, "Credentials": check_object,
         "TimeoutSeconds": integer(1), "HeartbeatSeconds": integer(1)},
        {**_IO, **_RESULT, **_SELECTOR, "TimeoutSecondsPath": check_required_path,
         "HeartbeatSecondsPath": check_required_path},
        {**_OUTPUT, **_ARGUMENTS},
    ),
    "Choice": ({"Choices": _IGNORED, "Default": check_non_empty_string, "Assign": check_assign}, {**_IO}, {**_OUTPUT}),
    "Wait": (
        {**_FLOW, "Seconds": integer(0), "Timestamp": check_timestamp},
        {**_IO, "SecondsPath": check_required_path, "TimestampPath": check_required_path}, {**_OUTPUT},
    ),
    "Succeed": ({}, {**_IO}, {**_OUTPUT}),
    "Fail": ({"Error": check_string, "Cause": check_string},
             {"ErrorPath": check_path_or_intrinsic, "CausePath": check_path_or_intrinsic}, {}),
    "Parallel": ({**_FLOW, **_HANDLERS, "Branches": _IGNORED}, {**_IO, **_RESULT, **_SELECTOR},
                 {**_OUTPUT, **_ARGUMENTS}),
    "Map": (
        {**_FLOW, **_HANDLERS, **_MAP_NUMBERS, "ItemProcessor": _IGNORED, "Iterator": _IGNORED,
         "ItemReader": check_item_reader, "ItemBatcher": check_item_batcher, "ResultWriter": check_result_writer,
         "Label": _IGNORED},
        {**_IO, **_RESULT, **_SELECTOR, "ItemSelector": check_template, "ItemsPath": check_reference_path,
         "MaxConcurrencyPath": check_required_path, "ToleratedFailureCountPath": check_required_path,
         "ToleratedFailurePercentagePath": check_required_path},
        {**_OUTPUT, "Items": check_jsonata_array, "ItemSelector": check_jsonata_value},
    ),
}


def _check_fields(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope, table: Mapping[str, Check]) -> None:
    for key, value in raw.items():
        check = table.get(key)
        if check is None:
            out.error(f'The field "{key}" is not supported by Step Functions', at_key(at, key))
        else:
            check(out, value, at_key(at, key), scope)


def _exclusive(out: Collector, raw: Mapping[str, Any], at: str, *keys: str) -> None:
    given = [key for key in keys if key in raw]
    if len(given) > 1:
        out.error(f"These fields cannot be used together: [{', '.join(given)}]", at)


# -- machine ---------------------------------------------------------------------------------------------


def check_machine(out: Collector, raw: Any, scope: Scope, at: str = "", *, extra: Mapping[str, Check] = {}) -> None:
    """A state machine: the whole definition (``at == ""``), a Parallel branch or a Map processor."""
    if not is_object(raw):
        out.error("Expected value of type object", at)
        return
    if scope.depth > MAX_MACHINE_NESTING:
        out.error(f"State machines are nested more than {MAX_MACHINE_NESTING} levels deep", at,
                  code="TOO_DEEPLY_NESTED")
        return
    _check_fields(out, raw, at, scope, {**(_TOP_FIELDS if not at else _NESTED_FIELDS), **extra})
    missing = [key for key in ("States", "StartAt") if key not in raw]
    if missing:
        out.error(f"These fields are required: [{', '.join(missing)}]", at)
    states = raw.get("States")
    if "States" in raw and (not is_object(states) or not states):
        out.error("States must be a non-empty object", f"{at}/States")
    if not is_object(states) or not states:
        return
    for name, state in states.items():
        _check_state(out, name, state, at_key(f"{at}/States", name), scope)
    if "StartAt" in raw:
        _check_graph(scope.graph, raw, states, at)


_TOP_FIELDS: Final[dict[str, Check]] = {
    "StartAt": check_string, "States": _IGNORED, "Comment": check_string, "Version": check_string,
    "TimeoutSeconds": integer(1, expression=False), "QueryLanguage": one_of(JSONPATH, JSONATA),
}
_NESTED_FIELDS: Final[dict[str, Check]] = {"StartAt": check_string, "States": _IGNORED, "Comment": check_string}


def _check_state(out: Collector, name: str, raw: Any, at: str, scope: Scope) -> None:
    if not name or len(name) > MAX_STATE_NAME:
        out.error(f"State names must be 1 to {MAX_STATE_NAME} characters long", at, code="INVALID_STATE_NAME")
    if name in scope.state_names:
        out.error(f"Duplicate State name: {name}", at, code="DUPLICATE_STATE_NAME")
    scope.state_names.add(name)
    if not is_object(raw):
        out.error("Expected value of type object", at)
        return
    kind = raw.get("Type")
    if not isinstance(kind, str) or kind not in STATE_FIELDS:
        message = "The field 'Type' is required but was missing" if kind is None else f"Invalid State Type: {kind}"
        out.error(message, at if kind is None else f"{at}/Type")
        return
    state_scope = _state_scope(out, raw, at, scope)
    both, jsonpath, jsonata = STATE_FIELDS[kind]
    by_language = jsonpath if state_scope.language == JSONPATH else jsonata
    _check_fields(out, raw, at, state_scope, {**_COMMON, **both, **by_language})
    _transition(out, kind, raw, at)
    rule = _STATE_RULES.get(kind)
    if rule is not None:
        rule(out, raw, at, state_scope)


def _state_scope(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> Scope:
    language = raw.get("QueryLanguage", scope.top_language)
    if language not in (JSONPATH, JSONATA):
        return scope.with_language(scope.top_language)
    if scope.top_language == JSONATA and language == JSONPATH:
        out.error("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine", at)
    return scope.with_language(language)


def _transition(out: Collector, kind: str, raw: Mapping[str, Any], at: str) -> None:
    if kind in ("Choice", *_TERMINAL_TYPES):
        return
    end = raw.get("End") is True
    if "Next" in raw and "End" in raw:
        out.error("These fields cannot be used together: [Next, End]", at)
    elif "Next" not in raw and not end:
        out.error("A state must have either a 'Next' field or 'End': true", at)


# -- graph -----------------------------------------------------------------------------------------------


def _targets(raw: Mapping[str, Any], at: str) -> list[tuple[str, str]]:
    """(target name, pointer) of every transition out of one state."""
    found = [(raw.get("Next"), f"{at}/Next"), (raw.get("Default"), f"{at}/Default")]
    for key, sub in (("Choices", "Next"), ("Catch", "Next")):
        entries = raw.get(key)
        if isinstance(entries, list):
            found += [(e.get(sub), f"{at}/{key}/{i}/{sub}") for i, e in enumerate(entries) if is_object(e)]
    return [(name, pointer) for name, pointer in found if isinstance(name, str) and name]


def _check_graph(out: Collector, raw: Mapping[str, Any], states: Mapping[str, Any], at: str) -> None:
    start = raw.get("StartAt")
    referenced = {start} if isinstance(start, str) else set()
    if isinstance(start, str) and start not in states:
        out.error(f"Missing 'Next' target: {start}", f"{at}/StartAt", code=TRANSITION)
    terminal = False
    for name, state in states.items():
        if not is_object(state):
            continue
        pointer = at_key(f"{at}/States", name)
        for target, where in _targets(state, pointer):
            if target not in states:
                out.error(f"Missing 'Next' target: {target}", where, code=TRANSITION)
            elif target != name:
                referenced.add(target)
        terminal = terminal or state.get("End") is True or state.get("Type") in _TERMINAL_TYPES
    for name in states:
        if name not in referenced:
            out.error(f'State "{name}" is not reachable.', at_key(f"{at}/States", name), code=TRANSITION)
    if not terminal:
        out.error("No terminal state: no state has 'End': true or is a Succeed or Fail state", at or "/",
                  code="MISSING_END_STATE")


# -- rules about several fields of one state type --------------------------------------------------------


def _pass_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    result = raw.get("Result")
    if scope.language == JSONPATH and is_object(result) and any(str(k).endswith(".$") for k in result):
        out.warning("PASS_RESULT_IS_STATIC", "The Result of a Pass state is static: paths in it are not "
                    "evaluated; use Parameters", f"{at}/Result")


def _task_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    if "Resource" not in raw:
        out.error("The field 'Resource' is required but was missing", at)
    _exclusive(out, raw, at, "TimeoutSeconds", "TimeoutSecondsPath")
    _exclusive(out, raw, at, "HeartbeatSeconds", "HeartbeatSecondsPath")
    timeout, heartbeat = _plain_int(raw.get("TimeoutSeconds")), _plain_int(raw.get("HeartbeatSeconds"))
    if timeout is not None and heartbeat is not None and heartbeat >= timeout:
        out.error("HeartbeatSeconds must be smaller than TimeoutSeconds", f"{at}/HeartbeatSeconds")
    credentials = raw.get("Credentials")
    if is_object(credentials):
        _credentials(out, credentials, f"{at}/Credentials", scope)


def _plain_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _credentials(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    names = ("RoleArn", "RoleArn.$") if scope.language == JSONPATH else ("RoleArn",)
    if not any(name in raw for name in names):
        out.error("The field 'RoleArn' is required but was missing", at)
        return
    _check_fields(out, raw, at, scope, {
        "RoleArn": check_jsonata_value if scope.language == JSONATA else check_string,
        "RoleArn.$": check_path_or_intrinsic,
    })


def _choice_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    choices = raw.get("Choices")
    if not isinstance(choices, list) or not choices:
        out.error("Choices must be a non-empty array of choice rules", f"{at}/Choices")
        return
    for i, rule in enumerate(choices):
        pointer = f"{at}/Choices/{i}"
        if scope.language == JSONATA:
            _jsonata_choice(out, rule, pointer, scope)
        else:
            _jsonpath_choice(out, rule, pointer, scope)


def _jsonpath_choice(out: Collector, rule: Any, at: str, scope: Scope) -> None:
    one = f"{at.rsplit('/', 1)[0]}/0"
    try:
        compile_choice_rules([rule], at.rsplit("/", 1)[0])
    except DefinitionError as exc:
        path = exc.path or at
        out.error(exc.message, at + path[len(one):] if path.startswith(one) else path)
    except RecursionError:
        out.error("The choice rule is nested too deeply", at, code="TOO_DEEPLY_NESTED")
    if is_object(rule) and "Assign" in rule:
        check_assign(out, rule["Assign"], f"{at}/Assign", scope)


_JSONATA_CHOICE: Final[dict[str, Check]] = {
    "Condition": _IGNORED, "Next": check_non_empty_string, "Comment": check_string,
    "Output": check_jsonata_value, "Assign": check_assign,
}


def _jsonata_choice(out: Collector, rule: Any, at: str, scope: Scope) -> None:
    if not is_object(rule):
        out.error("A choice rule must be an object", at)
        return
    _check_fields(out, rule, at, scope, _JSONATA_CHOICE)
    for key in ("Condition", "Next"):
        if key not in rule:
            out.error(f"The field '{key}' is required but was missing", at)
    condition = rule.get("Condition")
    if "Condition" in rule and not isinstance(condition, bool):
        check_expression(out, condition, f"{at}/Condition", scope)


def _wait_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    given = [key for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if key in raw]
    if len(given) != 1:
        out.error("A Wait state needs exactly one of [Seconds, SecondsPath, Timestamp, TimestampPath]", at)


def _fail_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    for key in ("Error", "Cause"):
        _exclusive(out, raw, at, key, f"{key}Path")
        value = raw.get(key)
        if scope.language == JSONPATH and isinstance(value, str) and value.startswith("$"):
            out.warning("NO_PATH", f"The value of '{key}' looks like a path; did you mean '{key}Path'?",
                        f"{at}/{key}")
        elif scope.language == JSONATA and isinstance(value, str) and value.startswith("{%"):
            check_expression(out, value, f"{at}/{key}", scope)


def _parallel_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    branches = raw.get("Branches")
    if not isinstance(branches, list) or not branches:
        out.error("Branches must be a non-empty array of state machines", f"{at}/Branches")
        return
    for i, branch in enumerate(branches):
        check_machine(out, branch, scope.nested(), f"{at}/Branches/{i}")


_PROCESSOR_CONFIG: Final[dict[str, Check]] = {
    "Mode": one_of("INLINE", "DISTRIBUTED"), "ExecutionType": one_of("STANDARD", "EXPRESS"),
}


def _processor_config(out: Collector, value: Any, at: str, scope: Scope) -> None:
    if not is_object(value):
        out.error("Expected value of type object", at)
    else:
        _check_fields(out, value, at, scope, _PROCESSOR_CONFIG)


def _map_rule(out: Collector, raw: Mapping[str, Any], at: str, scope: Scope) -> None:
    _exclusive(out, raw, at, "ItemProcessor", "Iterator")
    _exclusive(out, raw, at, "ItemSelector", "Parameters")
    for key in ("MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"):
        _exclusive(out, raw, at, key, f"{key}Path")
    key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
    if key not in raw:
        out.error("The field 'ItemProcessor' is required but was missing", at)
    else:
        extra = {"ProcessorConfig": _processor_config}
        check_machine(out, raw[key], scope.nested(), f"{at}/{key}", extra=extra)
    if "Label" in raw:
        _label(out, raw["Label"], f"{at}/Label")


def _label(out: Collector, value: Any, at: str) -> None:
    if not isinstance(value, str) or not value:
        out.error("Label must be a non-empty string", at, code="INVALID_LABEL_NAME")
    elif len(value) > MAX_LABEL:
        out.error(f"Label cannot exceed {MAX_LABEL} characters", at, code="INVALID_LABEL_NAME")
    else:
        bad = next((c for c in value if c in _LABEL_FORBIDDEN or ord(c) < 32 or 127 <= ord(c) <= 159), None)
        if bad is not None:
            out.error(f"Label contains invalid character: {bad!r}", at, code="INVALID_LABEL_NAME")


_STATE_RULES: Final[dict[str, Callable[[Collector, Mapping[str, Any], str, Scope], None]]] = {
    "Pass": _pass_rule, "Task": _task_rule, "Choice": _choice_rule, "Wait": _wait_rule,
    "Fail": _fail_rule, "Parallel": _parallel_rule, "Map": _map_rule,
}

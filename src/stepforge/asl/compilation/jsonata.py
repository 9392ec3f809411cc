"""Compiling the JSONata side of a definition: ``QueryLanguage``, field rules, JSONata state fields.

:mod:`stepforge.asl.compilation.compiler` asks :func:`language_of` which language a state uses (a JSONPath
machine may switch a state to JSONata, not the reverse), :func:`check_fields` refuses fields of
the other language, and the builders here turn a JSONata state's fields into
:class:`~stepforge.asl.query.fields.Query` trees on the same state classes the JSONPath side uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.choice import ChoiceRule
from stepforge.asl.compilation.variables import compile_assign
from stepforge.asl.errors import DefinitionError
from stepforge.asl.query.fields import Literal, Query, QueryCondition, compile_query
from stepforge.asl.query.jsonata import is_expression

if TYPE_CHECKING:
    from stepforge.asl.compilation.compiler import _Compiler

LANGUAGES = (st.JSONPATH, st.JSONATA)


def unsupported_map_field(raw: Mapping[str, Any]) -> str | None:
    """The first of ItemReader/ItemBatcher/ResultWriter a Map uses: accepted as AWS accepts them, but
    they need S3, so the state fails when it runs (see the interpreter)."""
    return next((key for key in ("ItemReader", "ItemBatcher", "ResultWriter") if key in raw), None)

#: Fields only a JSONPath state may have, and only a JSONata state may have.
JSONPATH_ONLY = frozenset({
    "InputPath", "OutputPath", "Parameters", "ResultPath", "ResultSelector", "ItemsPath", "SecondsPath",
    "TimestampPath", "ErrorPath", "CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
})
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})


def language_of(raw: Mapping[str, Any], at: str, default: str) -> str:
    """The state's query language: its own ``QueryLanguage`` or the machine's."""
    language = raw.get("QueryLanguage", default)
    if language not in LANGUAGES:
        raise DefinitionError(f"QueryLanguage must be one of {', '.join(LANGUAGES)}", f"{at}/QueryLanguage")
    if default == st.JSONATA and language == st.JSONPATH:
        raise DefinitionError("A state of a JSONata state machine cannot use JSONPath", f"{at}/QueryLanguage")
    return str(language)


def check_fields(raw: Mapping[str, Any], at: str, language: str) -> None:
    """Refuse the fields the state's query language does not have."""
    forbidden = JSONPATH_ONLY if language == st.JSONATA else JSONATA_ONLY
    for key in raw:
        if key in forbidden:
            raise DefinitionError(f"The field '{key}' is not supported in {language} states", f"{at}/{key}")


def optional_query(raw: Mapping[str, Any], key: str, at: str) -> Query | None:
    return compile_query(raw[key], f"{at}/{key}") if key in raw else None


def number_field(raw: Mapping[str, Any], key: str, at: str, *, number: bool = False) -> st.IntOrPath | None:
    """TimeoutSeconds, MaxConcurrency, ToleratedFailure*: a number or a ``{% %}`` expression."""
    if key not in raw:
        return None
    value = raw[key]
    if is_expression(value):
        return st.IntOrPath(query=compile_query(value, f"{at}/{key}"), field=key)
    valid = isinstance(value, (int, float)) if number else isinstance(value, int)
    if isinstance(value, bool) or not valid or value < 0:
        raise DefinitionError(f"{key} must be a non-negative {'number' if number else 'integer'} or a JSONata "
                              "expression", f"{at}/{key}")
    return st.IntOrPath(value=float(value), field=key)


def catchers(compiler: _Compiler, raw: Mapping[str, Any], at: str) -> tuple[st.Catcher, ...]:
    items = raw.get("Catch", [])
    if not isinstance(items, list):
        raise DefinitionError("Expected a JSON array", f"{at}/Catch")
    return tuple(_catcher(compiler, item, f"{at}/Catch/{i}") for i, item in enumerate(items))


def _catcher(compiler: _Compiler, raw: Any, at: str) -> st.Catcher:
    if not isinstance(raw, Mapping):
        raise DefinitionError("Expected a JSON object", at)
    if "ResultPath" in raw:
        raise DefinitionError("The field 'ResultPath' is not supported in JSONata states", f"{at}/ResultPath")
    base = compiler.catcher(raw, at)
    assign = compile_assign(raw["Assign"], f"{at}/Assign", st.JSONATA) if "Assign" in raw else None
    return st.Catcher(base.error_equals, base.next, None, assign, optional_query(raw, "Output", at))


def choice_rules(raw: Mapping[str, Any], at: str) -> tuple[ChoiceRule, ...]:
    rules = raw.get("Choices")
    if not isinstance(rules, list) or not rules:
        raise DefinitionError("Choices must be a non-empty array of choice rules", f"{at}/Choices")
    return tuple(_rule(rule, f"{at}/Choices/{i}") for i, rule in enumerate(rules))


def _rule(rule: Any, at: str) -> ChoiceRule:
    if not isinstance(rule, Mapping):
        raise DefinitionError("A choice rule must be an object", at)
    nxt = rule.get("Next")
    if not isinstance(nxt, str) or not nxt:
        raise DefinitionError("A choice rule must have a string field 'Next'", f"{at}/Next")
    if "Condition" not in rule:
        raise DefinitionError("A JSONata choice rule must have a 'Condition'", f"{at}/Condition")
    condition = compile_query(rule["Condition"], f"{at}/Condition")
    if isinstance(condition, Literal) and not isinstance(condition.value, bool):
        raise DefinitionError("The Condition must be a boolean or a JSONata expression", f"{at}/Condition")
    assign = compile_assign(rule["Assign"], f"{at}/Assign", st.JSONATA) if "Assign" in rule else None
    return ChoiceRule(QueryCondition(condition), nxt, assign, optional_query(rule, "Output", at))


# -- one builder per state type -------------------------------------------------------------------


def pass_(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    return st.PassState(**common, result=raw.get("Result"), has_result="Result" in raw)


def task(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    resource = raw.get("Resource")
    if not isinstance(resource, str):
        raise DefinitionError("Missing required field", f"{at}/Resource")
    return st.TaskState(
        **common, arguments=optional_query(raw, "Arguments", at), resource=resource,
        retry=compiler.recovery(raw, at)["retry"], catch=catchers(compiler, raw, at),
        timeout=number_field(raw, "TimeoutSeconds", at), heartbeat=number_field(raw, "HeartbeatSeconds", at),
        credentials=raw.get("Credentials"),
    )


def choice(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    default = raw.get("Default")
    if default is not None and not isinstance(default, str):
        raise DefinitionError("Expected a string", f"{at}/Default")
    return st.ChoiceState(**common, choices=choice_rules(raw, at), default=default)


def wait(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    given = [k for k in ("Seconds", "Timestamp") if k in raw]
    if len(given) != 1:
        raise DefinitionError("A Wait state needs exactly one of Seconds, Timestamp", at)
    value = raw[given[0]]
    if is_expression(value):
        query = compile_query(value, f"{at}/{given[0]}")
        if given[0] == "Seconds":
            return st.WaitState(**common, seconds_query=query)
        return st.WaitState(**common, timestamp_query=query)
    if given[0] == "Seconds":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DefinitionError("Expected an integer >= 0", f"{at}/Seconds")
        return st.WaitState(**common, seconds=value)
    if not isinstance(value, str):
        raise DefinitionError("Expected a string", f"{at}/Timestamp")
    return st.WaitState(**common, timestamp=value)


def succeed(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    return st.SucceedState(**common)


def fail(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    return st.FailState(**common, error_query=optional_query(raw, "Error", at),
                        cause_query=optional_query(raw, "Cause", at))


def parallel(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    branches = raw.get("Branches")
    if not isinstance(branches, list) or not branches:
        raise DefinitionError("Branches must be a non-empty array", f"{at}/Branches")
    return st.ParallelState(
        **common, arguments=optional_query(raw, "Arguments", at),
        retry=compiler.recovery(raw, at)["retry"], catch=catchers(compiler, raw, at),
        branches=tuple(compiler.machine(b, f"{at}/Branches/{i}") for i, b in enumerate(branches)),
    )


def map_(compiler: _Compiler, raw: Mapping[str, Any], at: str, common: dict[str, Any]) -> st.State:
    key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
    processor = raw.get(key)
    if not isinstance(processor, Mapping):
        raise DefinitionError("Expected a JSON object", f"{at}/{key}")
    config = processor.get("ProcessorConfig", {})
    items = raw.get("Items")
    if "Items" in raw and not is_expression(items) and not isinstance(items, list):
        raise DefinitionError("Items must be an array or a JSONata expression", f"{at}/Items")
    return st.MapState(
        **common, retry=compiler.recovery(raw, at)["retry"], catch=catchers(compiler, raw, at),
        processor=compiler.machine(processor, f"{at}/{key}"),
        items=optional_query(raw, "Items", at), selector_query=optional_query(raw, "ItemSelector", at),
        max_concurrency=number_field(raw, "MaxConcurrency", at) or st.IntOrPath(0.0),
        tolerated_failure_count=number_field(raw, "ToleratedFailureCount", at),
        tolerated_failure_percentage=number_field(raw, "ToleratedFailurePercentage", at, number=True),
        label=raw.get("Label") if isinstance(raw.get("Label"), str) else None,
        distributed=isinstance(config, Mapping) and config.get("Mode") == "DISTRIBUTED",
        unsupported=unsupported_map_field(raw),
    )


Builder = Callable[["_Compiler", Mapping[str, Any], str, dict[str, Any]], st.State]
BUILDERS: dict[str, Builder] = {
    "Pass": pass_, "Task": task, "Choice": choice, "Wait": wait,
    "Succeed": succeed, "Fail": fail, "Parallel": parallel, "Map": map_,
}

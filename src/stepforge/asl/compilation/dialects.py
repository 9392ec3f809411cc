"""How each query language spells the state fields that differ: one :class:`Dialect` per language.

The state builders of :mod:`stepforge.asl.compilation.compiler` are written once; they ask the
state's dialect for the few fields whose names and meaning depend on the query language:

=================  ===============================================  ==============================
                   JSONPath                                         JSONata
=================  ===============================================  ==============================
input and output   ``InputPath``, ``OutputPath``                    ``Output``
result             ``Parameters``, ``ResultSelector``,              ``Arguments``
                   ``ResultPath``
numbers            ``TimeoutSeconds`` or ``TimeoutSecondsPath``     a number or ``{% %}``
Catch              ``ResultPath``                                   ``Output``
Choice rules       ``Variable`` and comparison operators            ``Condition``
Wait               ``Seconds(Path)``, ``Timestamp(Path)``           ``Seconds``, ``Timestamp``
Fail               ``Error(Path)``, ``Cause(Path)``                 ``Error``, ``Cause``
Map items          ``ItemsPath``, ``ItemSelector``/``Parameters``   ``Items``, ``ItemSelector``
=================  ===============================================  ==============================

A dialect reads a state the validator accepted: it judges nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Final, Protocol

from stepforge.asl.compilation import states as st
from stepforge.asl.compilation.choice import ChoiceRule, compile_choice_rules
from stepforge.asl.compilation.variables import compile_assign
from stepforge.asl.query.fields import Query, QueryCondition, compile_query
from stepforge.asl.query.intrinsics import Intrinsic, compile_intrinsic, is_intrinsic
from stepforge.asl.query.jsonata import is_expression
from stepforge.asl.query.jsonpath import JsonPath, compile_path, compile_reference_path
from stepforge.asl.query.languages import JSONATA, JSONPATH
from stepforge.asl.query.payload import Template, compile_template

Fields = dict[str, Any]
Raw = Mapping[str, Any]


class Dialect(Protocol):
    """The fields of a state that one query language spells its own way."""

    @property
    def name(self) -> str:
        """``JSONPath`` or ``JSONata``."""
        ...

    def io(self, raw: Raw, at: str) -> Fields:
        """The fields every state but Fail has around its work (input and output shaping)."""
        ...

    def result(self, raw: Raw, at: str) -> Fields:
        """The fields of a state that produces a result (Pass, Task, Parallel, Map)."""
        ...

    def number(self, raw: Raw, key: str, at: str) -> st.IntOrPath | None:
        """``TimeoutSeconds``, ``MaxConcurrency``...: absent is None."""
        ...

    def catcher(self, raw: Raw, at: str) -> st.Catcher:
        """One entry of ``Catch``."""
        ...

    def choice_rules(self, raw: Raw, at: str) -> tuple[ChoiceRule, ...]:
        """A Choice state's ``Choices``."""
        ...

    def wait(self, raw: Raw, at: str) -> Fields:
        """What a Wait state waits for."""
        ...

    def fail(self, raw: Raw, at: str) -> Fields:
        """A Fail state's error and cause."""
        ...

    def items(self, raw: Raw, at: str) -> Fields:
        """Where a Map state's items come from and how each item's input is built."""
        ...


def _error_equals(raw: Raw) -> tuple[str, ...]:
    return tuple(raw["ErrorEquals"])


def _template(raw: Raw, key: str, at: str) -> Template | None:
    return compile_template(raw[key], f"{at}/{key}") if key in raw else None


def _query(raw: Raw, key: str, at: str) -> Query | None:
    return compile_query(raw[key], f"{at}/{key}") if key in raw else None


def _path(raw: Raw, key: str) -> JsonPath | None:
    """A path field: absent means ``$``; JSON null stays None (each field gives null its meaning)."""
    value = raw.get(key, "$")
    return None if value is None else compile_path(value)


def _path_or_intrinsic(raw: Raw, key: str, at: str) -> JsonPath | Intrinsic | None:
    text = raw.get(key)
    if text is None:
        return None
    return compile_intrinsic(text, path=f"{at}/{key}") if is_intrinsic(text) else compile_path(text)


class JsonPathDialect:
    """JSONPath: paths select, templates build, ``ResultPath`` places the result."""

    name: Final = JSONPATH

    def io(self, raw: Raw, at: str) -> Fields:
        return {"input_path": _path(raw, "InputPath"), "output_path": _path(raw, "OutputPath")}

    def result(self, raw: Raw, at: str) -> Fields:
        result_path = raw.get("ResultPath", "$")
        return {
            "parameters": _template(raw, "Parameters", at),
            "result_selector": _template(raw, "ResultSelector", at),
            "discard_result": result_path is None,
            "result_path": None if result_path is None else compile_reference_path(result_path),
        }

    def number(self, raw: Raw, key: str, at: str) -> st.IntOrPath | None:
        path_key = f"{key}Path"
        if key in raw:
            return st.IntOrPath(value=float(raw[key]), field=key)
        if path_key in raw:
            return st.IntOrPath(path=compile_path(raw[path_key]), field=path_key)
        return None

    def catcher(self, raw: Raw, at: str) -> st.Catcher:
        result_path = raw.get("ResultPath", "$")
        return st.Catcher(
            error_equals=_error_equals(raw), next=raw["Next"],
            result_path=None if result_path is None else compile_reference_path(result_path),
            assign=compile_assign(raw["Assign"], f"{at}/Assign", JSONPATH) if "Assign" in raw else None,
        )

    def choice_rules(self, raw: Raw, at: str) -> tuple[ChoiceRule, ...]:
        rules = compile_choice_rules(raw["Choices"], f"{at}/Choices")
        return tuple(
            dataclasses.replace(rule, assign=compile_assign(rule.assign, f"{at}/Choices/{i}/Assign", JSONPATH))
            if rule.assign is not None else rule
            for i, rule in enumerate(rules)
        )

    def wait(self, raw: Raw, at: str) -> Fields:
        if "Seconds" in raw:
            return {"seconds": raw["Seconds"]}
        if "Timestamp" in raw:
            return {"timestamp": raw["Timestamp"]}
        if "SecondsPath" in raw:
            return {"seconds_path": compile_path(raw["SecondsPath"])}
        return {"timestamp_path": compile_path(raw["TimestampPath"])}

    def fail(self, raw: Raw, at: str) -> Fields:
        return {
            "error": raw.get("Error"), "cause": raw.get("Cause"),
            "error_path": _path_or_intrinsic(raw, "ErrorPath", at),
            "cause_path": _path_or_intrinsic(raw, "CausePath", at),
        }

    def items(self, raw: Raw, at: str) -> Fields:
        selector = "ItemSelector" if "ItemSelector" in raw else "Parameters"
        return {"items_path": _path(raw, "ItemsPath"), "item_selector": _template(raw, selector, at)}


class JsonataDialect:
    """JSONata: every field may be a ``{% %}`` expression over ``$states`` and the variables."""

    name: Final = JSONATA

    def io(self, raw: Raw, at: str) -> Fields:
        return {"output": _query(raw, "Output", at)}

    def result(self, raw: Raw, at: str) -> Fields:
        return {"arguments": _query(raw, "Arguments", at)}

    def number(self, raw: Raw, key: str, at: str) -> st.IntOrPath | None:
        if key not in raw:
            return None
        value = raw[key]
        if is_expression(value):
            return st.IntOrPath(query=compile_query(value, f"{at}/{key}"), field=key)
        return st.IntOrPath(value=float(value), field=key)

    def catcher(self, raw: Raw, at: str) -> st.Catcher:
        return st.Catcher(
            error_equals=_error_equals(raw), next=raw["Next"], result_path=None,
            assign=compile_assign(raw["Assign"], f"{at}/Assign", JSONATA) if "Assign" in raw else None,
            output=_query(raw, "Output", at),
        )

    def choice_rules(self, raw: Raw, at: str) -> tuple[ChoiceRule, ...]:
        return tuple(self._rule(rule, f"{at}/Choices/{i}") for i, rule in enumerate(raw["Choices"]))

    def _rule(self, rule: Raw, at: str) -> ChoiceRule:
        condition = QueryCondition(compile_query(rule["Condition"], f"{at}/Condition"))
        assign = compile_assign(rule["Assign"], f"{at}/Assign", JSONATA) if "Assign" in rule else None
        return ChoiceRule(condition, rule["Next"], assign, _query(rule, "Output", at))

    def wait(self, raw: Raw, at: str) -> Fields:
        key = "Seconds" if "Seconds" in raw else "Timestamp"
        value = raw[key]
        if is_expression(value):
            return {f"{key.lower()}_query": compile_query(value, f"{at}/{key}")}
        return {key.lower(): value}

    def fail(self, raw: Raw, at: str) -> Fields:
        return {"error_query": _query(raw, "Error", at), "cause_query": _query(raw, "Cause", at)}

    def items(self, raw: Raw, at: str) -> Fields:
        return {"items": _query(raw, "Items", at), "selector_query": _query(raw, "ItemSelector", at)}


DIALECTS: Final[Mapping[str, Dialect]] = {JSONPATH: JsonPathDialect(), JSONATA: JsonataDialect()}

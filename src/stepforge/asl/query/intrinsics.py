"""Intrinsic functions (``States.Format(...)`` and the other 17): lexer, parser, typed tree, evaluation.

``compile_intrinsic(text)`` turns the text of a ``"field.$"`` value into an immutable tree of
:class:`Call`, :class:`Literal` and :class:`PathArgument` nodes; :meth:`Intrinsic.evaluate` runs it
against a :class:`~stepforge.asl.scope.Scope`. Bad syntax, unknown functions and wrong arity fail at
compile time with :class:`DefinitionError`. At run time a bad argument fails with
``States.IntrinsicFailure`` and a path argument that selects nothing with ``States.Runtime``; both
causes name the whole expression as AWS does: ``The function '<text>' had the following error: ...``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, NamedTuple

from stepforge.asl import errors
from stepforge.asl.errors import DefinitionError, StatesError
from stepforge.asl.jsontypes import json_type
from stepforge.asl.query.budget import size_at_least
from stepforge.asl.query.jsonpath import JsonPath, PathNotFound, PathSyntaxError, compile_path
from stepforge.asl.scope import Scope

MAX_NESTING: Final = 10
#: The most that the nested calls of one expression may hold at once (a lower bound of their JSON size):
#: four times AWS's 256 KiB payload limit, so nothing AWS accepts is refused.
MAX_HELD_BYTES: Final = 1024 * 1024
MAX_STRING_CHARS: Final = 10_000
MAX_RANGE_ITEMS: Final = 1000
_INT32: Final = range(-(2**31), 2**31)
_ESCAPABLE: Final = "'{}\\"
_HASHES: Final = ("MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512")


# --- JSON text as AWS (Java/Jackson) writes it -------------------------------------------------------


def java_double(value: float) -> str:
    """``Double.toString``: ``1.0``, ``0.001``, ``1.0E7``, ``1.5E-4`` (shortest round-trip digits)."""
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity: not JSON, nothing better to write
        return repr(value)
    text = "".join(map(str, digits))
    scientific = len(text) - 1 + exponent
    text = text.rstrip("0") or "0"
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{scientific}"


def compact_json(value: Any) -> str:
    """Compact JSON (no spaces, non-ASCII kept, doubles as Java writes them)."""
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{compact_json(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(compact_json(v) for v in value) + "]"
    if isinstance(value, float):
        return java_double(value)
    return json.dumps(value, ensure_ascii=False)


def format_value(value: Any) -> str:
    """How ``States.Format`` renders an argument: Java ``toString`` of the value (``{a=1, b=[]}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return compact_json(value)


# --- the tree -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal argument: a string, a number, ``true``, ``false`` or ``null``."""

    value: Any

    def evaluate(self, scope: Scope) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class FormatString:
    """The literal first argument of ``States.Format``, split at its unescaped ``{}`` placeholders."""

    pieces: tuple[str, ...]

    def evaluate(self, scope: Scope) -> tuple[str, ...]:
        return self.pieces


@dataclass(frozen=True, slots=True)
class PathArgument:
    """A path argument: ``$.x``, ``$$.Execution.Id``, ``$``, ``$var.x``."""

    path: JsonPath

    def evaluate(self, scope: Scope) -> Any:
        try:
            return self.path.resolve(scope)
        except PathNotFound:
            raise _Missing(self.path) from None


@dataclass(frozen=True, slots=True)
class Call:
    """A call of one of the ``States.*`` functions."""

    function: str
    arguments: tuple[Argument, ...]

    def evaluate(self, scope: Scope, held: _Held | None = None) -> Any:
        function = _FUNCTIONS[self.function]
        held = held or _Held()
        values = []
        for argument in self.arguments:
            if isinstance(argument, Call):  # a value made here, not a reference into the input
                value = argument.evaluate(scope, held)
                held.add(size_at_least(value, MAX_HELD_BYTES - held.total))
            else:
                value = argument.evaluate(scope)
            values.append(value)
        return function.run(scope, *function.convert(self.function, values))


class _Held:
    """The bytes the nested calls of one expression have made so far:
    ``States.Array(States.JsonToString($), ...)`` repeated thousands of times must stop before it
    holds thousands of copies of its input."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0

    def add(self, size: int) -> None:
        self.total += size
        if self.total > MAX_HELD_BYTES:
            raise _Failure(f"The arguments of the function are larger than {MAX_HELD_BYTES} bytes")


Argument = Literal | FormatString | PathArgument | Call


@dataclass(frozen=True, slots=True)
class Intrinsic:
    """A compiled intrinsic expression; ``text`` is its source, echoed in runtime causes."""

    text: str
    call: Call

    def evaluate(self, scope: Scope) -> Any:
        """Run the expression; raises :class:`StatesError` as described in the module docstring."""
        try:
            return self.call.evaluate(scope)
        except _Missing as missing:
            detail = (
                f"The JsonPath argument for the field '{missing.field}' "
                f"could not be found in the input '{compact_json(scope.input)}'"
            )
            raise StatesError(errors.RUNTIME, self._cause(detail)) from None
        except _Failure as failure:
            raise StatesError(errors.INTRINSIC_FAILURE, self._cause(str(failure))) from None

    def _cause(self, detail: str) -> str:
        return f"The function '{self.text}' had the following error: {detail}"


class _Missing(Exception):
    def __init__(self, path: JsonPath) -> None:
        super().__init__(path.text)
        # AWS names a context path rewritten against the state input: $$.A.B -> $.A.B
        self.field = path.text[1:] if path.text.startswith("$$") else path.text


class _Failure(Exception):
    """A bad argument at run time; the message is the detail of the cause."""


# --- lexer --------------------------------------------------------------------------------------------

_NUMBER: Final = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME: Final = re.compile(r"[A-Za-z_][\w.]*")
_KEYWORDS: Final[dict[str, Any]] = {"true": True, "false": False, "null": None}
_Fail = Callable[[str, int], DefinitionError]


class _Token(NamedTuple):
    kind: str  # "name", "string", "number", "path", "(", ")", ",", "end"
    value: Any  # for a string: the tuple of its pieces between unescaped {}
    position: int


def _tokenize(text: str, fail: _Fail) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return [*tokens, _Token("end", None, i)]
        if text[i] in "(),":
            token, end = _Token(text[i], text[i], i), i + 1
        elif text[i] == "'":
            token, end = _string(text, i, fail)
        elif text[i] == "$":
            end = _path_end(text, i)
            token = _Token("path", text[i:end], i)
        elif match := _NUMBER.match(text, i):
            token, end = _Token("number", json.loads(match.group()), i), match.end()
        elif match := _NAME.match(text, i):
            token, end = _Token("name", match.group(), i), match.end()
        else:
            raise fail(f"unexpected character {text[i]!r}", i)
        tokens.append(token)
        i = end


def _string(text: str, start: int, fail: _Fail) -> tuple[_Token, int]:
    pieces: list[str] = []
    current: list[str] = []
    i = start + 1
    while i < len(text) and text[i] != "'":
        if text[i] == "\\":
            if text[i + 1 : i + 2] not in ("'", "{", "}", "\\"):
                raise fail("a backslash must escape one of ' { } \\", i)
            current.append(text[i + 1])
            i += 2
        elif text.startswith("{}", i):
            pieces.append("".join(current))
            current = []
            i += 2
        else:
            current.append(text[i])
            i += 1
    if i == len(text):
        raise fail("unterminated string literal", start)
    return _Token("string", (*pieces, "".join(current)), start), i + 1


def _path_end(text: str, start: int) -> int:
    """A path runs to the first ``,``, ``)`` or space outside brackets and quotes."""
    depth, quote, i = 0, "", start
    while i < len(text):
        char = text[i]
        if quote:
            quote = "" if char == quote and text[i - 1] != "\\" else quote
        elif char in "'\"" and depth > 0:
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])" and depth > 0:
            depth -= 1
        elif depth == 0 and (char in ",)" or char.isspace()):
            break
        i += 1
    return i


# --- parser -------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.tokens = _tokenize(text, self.error)
        self.index = 0

    def error(self, detail: str, position: int) -> DefinitionError:
        message = f"Invalid intrinsic function {self.text!r}: {detail} (at character {position})"
        return DefinitionError(message, self.path)

    def parse(self) -> Call:
        call = self._call(depth=1)
        self._expect("end")
        return call

    def _expect(self, kind: str) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        if token.kind != kind:
            wanted = "the end" if kind == "end" else repr(kind)
            found = "the end" if token.kind == "end" else repr(token.value)
            raise self.error(f"expected {wanted}, found {found}", token.position)
        return token

    def _call(self, depth: int) -> Call:
        name = self._expect("name")
        function = _FUNCTIONS.get(name.value)
        if function is None:
            raise self.error(f"unknown function {name.value!r}", name.position)
        if depth > MAX_NESTING:
            raise self.error(f"more than {MAX_NESTING} nested intrinsic functions", name.position)
        self._expect("(")
        template = name.value == "States.Format"
        arguments: list[Argument] = []
        if self.tokens[self.index].kind != ")":
            arguments.append(self._argument(depth, template))
            while self.tokens[self.index].kind == ",":
                self.index += 1
                arguments.append(self._argument(depth, template=False))
        self._expect(")")
        problem = function.check(name.value, arguments)
        if problem:
            raise self.error(problem, name.position)
        return Call(name.value, tuple(arguments))

    def _argument(self, depth: int, template: bool) -> Argument:
        token = self.tokens[self.index]
        if token.kind == "name" and token.value not in _KEYWORDS:
            return self._call(depth + 1)
        self.index += 1
        if token.kind == "name" or token.kind == "number":
            return Literal(_KEYWORDS.get(token.value, token.value))
        if token.kind == "string":
            return FormatString(token.value) if template else Literal("{}".join(token.value))
        if token.kind == "path":
            try:
                return PathArgument(compile_path(token.value))
            except PathSyntaxError as exc:
                raise self.error(f"invalid path {token.value!r}: {exc}", token.position) from None
        found = "the end" if token.kind == "end" else repr(token.value)
        raise self.error(f"expected an argument, found {found}", token.position)


def compile_intrinsic(text: str, path: str = "") -> Intrinsic:
    """Parse an intrinsic expression; ``path`` is the JSON pointer reported in a :class:`DefinitionError`."""
    return Intrinsic(text, _Parser(text, path).parse())


def is_intrinsic(text: str) -> bool:
    """Whether a ``.$`` value is meant as an intrinsic call rather than a path."""
    return text.startswith("States.")


# --- argument types -----------------------------------------------------------------------------------




def _convert(function: str, position: int, value: Any, kind: str) -> Any:
    """Check one argument against its declared type and convert it.

    Types are JSON kinds (``string``, ``array``, ``object``, ``boolean``, ``number``) or ``any``, plus:
    ``integer`` (a whole number), ``rounded`` (a number, rounded as Java's ``Math.round``), ``int32``
    (rounded, within 32 bits), ``text`` (a string of at most 10,000 characters) and ``template``
    (the first argument of ``States.Format``: literal pieces, or a string split at ``{}``).
    """
    if kind == "any" or kind == "template" and isinstance(value, tuple):
        return value
    if kind == "template":
        return tuple(_convert(function, position, value, "string").split("{}"))
    if kind == "text":
        text: str = _convert(function, position, value, "string")
        if len(text) > MAX_STRING_CHARS:
            raise _Failure(f"The input to {function} must be at most {MAX_STRING_CHARS} characters long")
        return text
    if kind in ("integer", "rounded", "int32"):
        number = _convert(function, position, value, "number")
        if isinstance(number, float) and not number.is_integer():
            if kind == "integer":
                raise _Failure(f"Invalid arguments in {function}: argument {position} must be an integer")
            number = math.floor(number + 0.5)
        if kind == "int32" and number not in _INT32:
            raise _Failure(f"Invalid arguments in {function}: argument {position} must be a 32-bit integer")
        return int(number)
    if json_type(value) != kind:
        raise _Failure(
            f"Invalid arguments in {function}: argument {position} must be of type {kind}, "
            f"but was {json_type(value)}: {compact_json(value)}"
        )
    return value


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 equals 1.0."""
    if json_type(a) != json_type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    return bool(a == b)


@dataclass(frozen=True, slots=True)
class _Function:
    """A function's implementation, ``run(scope, *arguments)``, and its declared argument types."""

    run: Callable[..., Any]
    types: tuple[str, ...]
    optional: int = 0  # how many trailing arguments may be left out
    variadic: str | None = None  # the type of any further arguments

    def check(self, name: str, arguments: list[Argument]) -> str | None:
        """What is wrong with a call's arguments at compile time, if anything."""
        low, high = len(self.types) - self.optional, None if self.variadic else len(self.types)
        if len(arguments) < low or (high is not None and len(arguments) > high):
            expected = f"{low}" if low == high else f"at least {low}" if high is None else f"{low} to {high}"
            return f"{name} takes {expected} argument(s), but {len(arguments)} were given"
        first = arguments[0] if arguments and self.types[:1] == ("template",) else None
        if isinstance(first, Literal):
            return f"the first argument of {name} must be a string"
        if isinstance(first, FormatString) and len(first.pieces) != len(arguments):
            return f"{name} needs as many arguments after the first as there are {{}} placeholders"
        return None

    def convert(self, name: str, values: list[Any]) -> list[Any]:
        types = [*self.types, *[self.variadic or "any"] * (len(values) - len(self.types))]
        return [
            _convert(name, position, value, kind)
            for position, (value, kind) in enumerate(zip(values, types), 1)
        ]


# --- the 18 functions ---------------------------------------------------------------------------------


def _format(scope: Scope, pieces: tuple[str, ...], *values: Any) -> str:
    if len(pieces) != len(values) + 1:
        raise _Failure("The number of arguments to States.Format does not match the number of placeholders")
    return pieces[0] + "".join(format_value(value) + piece for value, piece in zip(values, pieces[1:]))


def _string_to_json(scope: Scope, text: str) -> Any:
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _Failure(f"The argument of States.StringToJson is not valid JSON: {exc}") from None


def _array_partition(scope: Scope, array: list[Any], size: int) -> list[list[Any]]:
    if size <= 0:
        raise _Failure(f"The chunk size of States.ArrayPartition must be greater than 0, but was {size}")
    return [array[i : i + size] for i in range(0, len(array), size)]


def _array_range(scope: Scope, start: int, end: int, step: int) -> list[int]:
    if step == 0:
        raise _Failure("The step of States.ArrayRange must not be 0")
    items = range(start, end + (1 if step > 0 else -1), step)
    if len(items) > MAX_RANGE_ITEMS:
        raise _Failure(f"States.ArrayRange cannot create an array of more than {MAX_RANGE_ITEMS} items")
    return list(items)


def _array_get_item(scope: Scope, array: list[Any], index: int) -> Any:
    if not 0 <= index < len(array):
        raise _Failure(f"The index {index} is out of bounds for States.ArrayGetItem on {len(array)} items")
    return array[index]


def _array_unique(scope: Scope, array: list[Any]) -> list[Any]:
    unique: list[Any] = []
    for item in array:
        if not any(_same(item, seen) for seen in unique):
            unique.append(item)
    return unique


def _base64_decode(scope: Scope, text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _Failure("The argument of States.Base64Decode is not Base64-encoded UTF-8 text") from None


def _hash(scope: Scope, data: str, algorithm: str) -> str:
    if algorithm not in _HASHES:
        raise _Failure(f"States.Hash does not support {algorithm!r}; use one of {', '.join(_HASHES)}")
    return hashlib.new(algorithm.replace("-", "").lower(), data.encode("utf-8")).hexdigest()


def _json_merge(scope: Scope, first: dict[str, Any], second: dict[str, Any], deep: bool) -> dict[str, Any]:
    if deep:
        raise _Failure("States.JsonMerge supports only a shallow merge: its third argument must be false")
    return {**first, **second}


def _math_random(scope: Scope, start: int, end: int, seed: int | None = None) -> int:
    if start >= end:
        raise _Failure(f"The start of States.MathRandom ({start}) must be less than its end ({end})")
    return (scope.random if seed is None else random.Random(seed)).randrange(start, end)


def _math_add(scope: Scope, a: int, b: int) -> int:
    if a + b not in _INT32:
        raise _Failure(f"The result of States.MathAdd does not fit in a 32-bit integer: {a + b}")
    return a + b


def _string_split(scope: Scope, text: str, delimiters: str) -> list[str]:
    """Split at any one of the delimiter characters, dropping empty parts (Java's StringTokenizer)."""
    for delimiter in delimiters[1:]:
        text = text.replace(delimiter, delimiters[0])
    return [part for part in (text.split(delimiters[0]) if delimiters else [text]) if part]


def _uuid(scope: Scope) -> str:
    return str(uuid.UUID(int=scope.random.getrandbits(128), version=4))


_FUNCTIONS: Final[dict[str, _Function]] = {
    "States.Format": _Function(_format, ("template",), variadic="any"),
    "States.StringToJson": _Function(_string_to_json, ("string",)),
    "States.JsonToString": _Function(lambda scope, value: compact_json(value), ("any",)),
    "States.Array": _Function(lambda scope, *values: list(values), (), variadic="any"),
    "States.ArrayPartition": _Function(_array_partition, ("array", "integer")),
    "States.ArrayContains": _Function(lambda scope, a, v: any(_same(v, x) for x in a), ("array", "any")),
    "States.ArrayRange": _Function(_array_range, ("rounded", "rounded", "rounded")),
    "States.ArrayGetItem": _Function(_array_get_item, ("array", "integer")),
    "States.ArrayLength": _Function(lambda scope, array: len(array), ("array",)),
    "States.ArrayUnique": _Function(_array_unique, ("array",)),
    "States.Base64Encode": _Function(
        lambda scope, s: base64.b64encode(s.encode()).decode("ascii"), ("text",)
    ),
    "States.Base64Decode": _Function(_base64_decode, ("text",)),
    "States.Hash": _Function(_hash, ("text", "string")),
    "States.JsonMerge": _Function(_json_merge, ("object", "object", "boolean")),
    "States.MathRandom": _Function(_math_random, ("rounded", "rounded", "rounded"), optional=1),
    "States.MathAdd": _Function(_math_add, ("int32", "int32")),
    "States.StringSplit": _Function(_string_split, ("string", "string")),
    "States.UUID": _Function(_uuid, ()),
}

#: The names of the intrinsic functions.
FUNCTION_NAMES: Final = frozenset(_FUNCTIONS)

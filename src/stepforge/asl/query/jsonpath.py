"""JSONPath as AWS Step Functions evaluates it: Jayway JsonPath semantics, compiled once.

``compile_path`` parses a path into an immutable tuple of selectors (a filter holds a small tree of
expression nodes); evaluation walks the document and never copies it. A *definite* path (no
wildcard, deep scan, filter, slice or multi-index) yields one value or raises :class:`PathNotFound`
with Jayway's message; any other path yields the list of its matches. ``ReferencePath`` is the
definite subset used to *write* (``ResultPath``), copying only the containers along the path.

Jayway details reproduced on purpose: a slice's step is accepted and ignored, ``[1:-1]`` is empty,
bracketed names keep their backslashes verbatim, and a multi-name leaf (``$['a','b']``) is definite
and merges the members into one object.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, ClassVar, Literal, NamedTuple, NoReturn

from stepforge.asl import errors
from stepforge.asl.scope import Scope

Root = Literal["input", "context", "variable"]
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PathSyntaxError(ValueError):
    """A path that cannot be compiled; ``position`` is the character offset of the problem."""

    def __init__(self, text: str, position: int, problem: str) -> None:
        super().__init__(f"Invalid path '{text}': {problem} (at position {position})")
        self.text = text
        self.position = position
        self.problem = problem


class PathNotFound(Exception):
    """A definite path that selects nothing; the message is Jayway's, e.g. ``No results for path: $['a']``."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class _Miss:
    """Nothing was selected (Jayway's UNDEFINED); ``message`` says why."""

    message: str


# --- selectors: one step of a path ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    """``.a``, ``['a']``, ``['a','b']``: object members. A multi-name leaf merges them (``merge``)."""

    names: tuple[str, ...]
    quote: str = "'"
    merge: bool = False

    @property
    def definite(self) -> bool:
        return len(self.names) == 1 or self.merge

    def fragment(self) -> str:
        return "[" + ",".join(f"{self.quote}{name}{self.quote}" for name in self.names) + "]"

    def select(self, node: Any, root: Any) -> list[Any]:
        if not isinstance(node, dict):
            return []
        if self.merge:
            return [{name: node[name] for name in self.names if name in node}]
        return [node[name] for name in self.names if name in node]


@dataclass(frozen=True, slots=True)
class Index:
    """``[0]``, ``[-1]``, ``[0,2]``: array elements; negative indexes count from the end."""

    indexes: tuple[int, ...]

    @property
    def definite(self) -> bool:
        return len(self.indexes) == 1

    def fragment(self) -> str:
        return "[" + ",".join(map(str, self.indexes)) + "]"

    def select(self, node: Any, root: Any) -> list[Any]:
        if not isinstance(node, list):
            return []
        positions = (i + len(node) if i < 0 else i for i in self.indexes)
        return [node[i] for i in positions if 0 <= i < len(node)]


@dataclass(frozen=True, slots=True)
class Slice:
    """``[1:]``, ``[:2]``, ``[-2:]``, ``[1:3]`` with Jayway's arithmetic (no step, ``[1:-1]`` is empty)."""

    start: int | None
    end: int | None
    definite: ClassVar[bool] = False

    def fragment(self) -> str:
        start, end = ("" if bound is None else str(bound) for bound in (self.start, self.end))
        return f"[{start}:{end}]"

    def select(self, node: Any, root: Any) -> list[Any]:
        if not isinstance(node, list):
            return []
        size = len(node)
        if self.end is None:
            start = self.start or 0
            return node[max(0, size + start if start < 0 else start):]
        if self.start is None:
            return node[: max(0, min(size, size + self.end if self.end < 0 else self.end))]
        positions = (i + size if i < 0 else i for i in range(max(self.start, -size), min(size, self.end)))
        return [node[i] for i in positions if 0 <= i < size]


@dataclass(frozen=True, slots=True)
class Wildcard:
    """``*`` / ``[*]``: every member of an object or element of an array."""

    definite: ClassVar[bool] = False

    def fragment(self) -> str:
        return "[*]"

    def select(self, node: Any, root: Any) -> list[Any]:
        if isinstance(node, dict):
            return list(node.values())
        return list(node) if isinstance(node, list) else []


@dataclass(frozen=True, slots=True)
class Filter:
    """``[?(expr)]``: array elements for which ``expr`` holds; an object is tested itself (Jayway)."""

    expr: Expr
    definite: ClassVar[bool] = False

    def fragment(self) -> str:
        return "[?]"

    def select(self, node: Any, root: Any) -> list[Any]:
        if isinstance(node, dict):
            return [node] if self.expr.test(node, root) else []
        if isinstance(node, list):
            return [item for item in node if self.expr.test(item, root)]
        return []


@dataclass(frozen=True, slots=True)
class Scan:
    """``..target``: ``target`` applied to the node and every descendant, in document order."""

    target: Name | Index | Slice | Wildcard | Filter
    definite: ClassVar[bool] = False

    def fragment(self) -> str:
        return ".." + self.target.fragment()

    def select(self, node: Any, root: Any) -> list[Any]:
        found: list[Any] = []
        self._walk(node, root, found)
        return found

    def _walk(self, node: Any, root: Any, found: list[Any]) -> None:
        if not isinstance(node, (dict, list)):
            return
        if self._applies(node, root):
            found.extend(self.target.select(node, root))
        for child in node.values() if isinstance(node, dict) else node:
            self._walk(child, root, found)

    def _applies(self, node: Any, root: Any) -> bool:
        target = self.target
        if isinstance(target, Filter):
            return target.expr.test(node, root)
        if isinstance(target, Name) and target.merge:
            return isinstance(node, dict) and all(name in node for name in target.names)
        return True


Selector = Name | Index | Slice | Wildcard | Filter | Scan


# --- filter expressions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    """A literal in a filter: string, number, boolean, null or a list of those."""

    value: Any

    def resolve(self, item: Any, root: Any) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class PathOperand:
    """``@...`` (relative to the tested item) or ``$...`` (the document); a miss is undefined."""

    path: JsonPath
    relative: bool

    def resolve(self, item: Any, root: Any) -> Any:
        return self.path._find(item if self.relative else root, root)


Operand = Value | PathOperand


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with op one of ``== != < <= > >= in nin``."""

    op: str
    left: Operand
    right: Operand

    def test(self, item: Any, root: Any) -> bool:
        return _compare(self.op, self.left.resolve(item, root), self.right.resolve(item, root))


@dataclass(frozen=True, slots=True)
class Exists:
    """A bare path: true when it selects something (``null`` counts)."""

    operand: PathOperand

    def test(self, item: Any, root: Any) -> bool:
        found = self.operand.resolve(item, root)
        return bool(found) if self.operand.path.many else not isinstance(found, _Miss)


@dataclass(frozen=True, slots=True)
class Not:
    """``!expr``."""

    expr: Expr

    def test(self, item: Any, root: Any) -> bool:
        return not self.expr.test(item, root)


@dataclass(frozen=True, slots=True)
class Logical:
    """``left && right`` / ``left || right``."""

    op: str
    left: Expr
    right: Expr

    def test(self, item: Any, root: Any) -> bool:
        if self.op == "&&":
            return self.left.test(item, root) and self.right.test(item, root)
        return self.left.test(item, root) or self.right.test(item, root)


Expr = Comparison | Exists | Not | Logical
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(a: Any, b: Any) -> bool:
    """JSON equality where booleans are not numbers and an undefined operand equals nothing."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(value, b[key]) for key, value in a.items())
    return (a is None and b is None) or (isinstance(a, str) and isinstance(b, str) and a == b)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("==", "!="):
        return _equal(left, right) == (op == "==")
    if op in ("in", "nin"):
        found = isinstance(right, list) and any(_equal(left, member) for member in right)
        return found == (op == "in")
    same_kind = (_is_number(left) and _is_number(right)) or (isinstance(left, str) and isinstance(right, str))
    return same_kind and _ORDER[op](left, right)


# --- functions (``$.a.length()``) ---------------------------------------------------------------


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "length": lambda value: len(value) if isinstance(value, (list, dict)) else None,
}


# --- compiled paths ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A compiled path. ``evaluate``: definite → the value (or PathNotFound); otherwise a list."""

    text: str
    root: Root
    variable: str | None
    is_definite: bool
    normalized: str
    steps: tuple[Selector, ...] = field(default=(), repr=False, compare=False)
    function: str | None = field(default=None, repr=False, compare=False)
    offsets: tuple[int, ...] = field(default=(), repr=False, compare=False)
    many: bool = field(default=False, repr=False, compare=False)

    def evaluate(self, document: Any) -> Any:
        """Apply the path to ``document``; no copies are made of what it selects."""
        found = self._find(document, document)
        if isinstance(found, _Miss):
            raise PathNotFound(self, found.message)
        return found

    def resolve(self, scope: Scope) -> Any:
        """Evaluate against the scope's input, context object or the named variable."""
        if self.root == "input":
            return self.evaluate(scope.input)
        if self.root == "context":
            return self.evaluate(scope.context)
        name = self.variable or ""
        if name not in scope.variables:
            raise PathNotFound(self, f"Variable '{name}' is not defined")
        return self.evaluate(scope.variables[name])

    def _find(self, document: Any, root: Any) -> Any:
        found: Any = [document] if self.many else self._walk(document)
        if self.many:
            for step in self.steps:
                found = [match for node in found for match in step.select(node, root)]
        if self.function is None or isinstance(found, _Miss):
            return found
        return _FUNCTIONS[self.function](found)

    def _walk(self, node: Any) -> Any:
        """Follow a definite path; a miss carries Jayway's message for it."""
        leaf = len(self.steps) - (1 if self.function is None else 0)
        for position, step in enumerate(self.steps):
            if isinstance(step, Name):
                if not isinstance(node, dict):
                    return _Miss(f"Expected to find an object with property {step.fragment()} in path "
                                 f"{self._prefix(position)} but found '{_json_type(node)}'")
                if step.merge:
                    return step.select(node, None)[0]
                if step.names[0] not in node:
                    return _Miss(f"No results for path: {self.normalized}" if position == leaf
                                 else f"Missing property in path {self._prefix(position)}{step.fragment()}")
                node = node[step.names[0]]
            elif isinstance(step, Index):
                if not isinstance(node, list):
                    rest = "".join(later.fragment() for later in self.steps[position:])
                    return _Miss(f"The path {self._prefix(position)} is null" if node is None else
                                 f"Filter: {rest} can only be applied to arrays. Current context is: {_compact(node)}")
                selected = step.select(node, None)
                if not selected:
                    return _Miss(f"No results for path: {self.normalized}")
                node = selected[0]
        return node

    def _prefix(self, position: int) -> str:
        """Jayway's normalized form of the steps before ``position`` (built only for messages)."""
        return "$" + "".join(step.fragment() for step in self.steps[:position])


def _json_type(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    return "number" if _is_number(value) else "string" if isinstance(value, str) else "array"


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@lru_cache(maxsize=4096)
def compile_path(text: str) -> JsonPath:
    """Compile ``$...`` (input), ``$$...`` (context object) or ``$name...`` (variable); cached."""
    if not text.startswith("$"):
        raise PathSyntaxError(text, 0, "a path must start with '$'")
    root: Root = "input"
    variable, start = None, 1
    if text.startswith("$$"):
        root, start = "context", 2
    elif match := _VARIABLE.match(text, 1):
        root, variable, start = "variable", match.group(), match.end()
    # AWS accepts a path with trailing blanks ("$.a "): they end it.
    steps, offsets, function = _PathParser(text, start, len(text.rstrip())).parse()
    return _build(text, root, variable, steps, offsets, function)


def _build(text: str, root: Root, variable: str | None, steps: list[Selector], offsets: list[int],
           function: str | None) -> JsonPath:
    last = steps[-1] if steps else None
    if isinstance(last, Name):
        steps[-1] = replace(last, merge=len(last.names) > 1)
    elif isinstance(last, Scan) and isinstance(last.target, Name):
        steps[-1] = Scan(replace(last.target, merge=len(last.target.names) > 1))
    many = not all(step.definite for step in steps)
    normalized = "$" + "".join(step.fragment() for step in steps) + (f".{function}()" if function else "")
    return JsonPath(text, root, variable, function is not None or not many, normalized, tuple(steps),
                    function, tuple(offsets), many)


# --- parsing ------------------------------------------------------------------------------------


class _PathParser:
    """Recursive descent over ``text[pos:end]`` (the part after the root), Jayway's grammar."""

    def __init__(self, text: str, pos: int, end: int) -> None:
        self.text, self.pos, self.end = text, pos, end

    def fail(self, problem: str, position: int | None = None) -> NoReturn:
        raise PathSyntaxError(self.text, self.pos if position is None else position, problem)

    def parse(self) -> tuple[list[Selector], list[int], str | None]:
        steps: list[Selector] = []
        offsets: list[int] = []
        while self.pos < self.end:
            start = self.pos
            step = self._step()
            if isinstance(step, str):
                if self.pos < self.end:
                    self.fail("a function must end the path")
                return steps, offsets, step
            steps.append(step)
            offsets.append(start)
        return steps, offsets, None

    def _step(self) -> Selector | str:
        if self.text[self.pos] == "[":
            return self._bracket()
        if self.text[self.pos] != ".":
            self.fail("expected '.' or '['")
        scan = self.text.startswith("..", self.pos, self.end)
        self.pos += 2 if scan else 1
        if self.pos >= self.end:
            self.fail("a path must not end with '.' or '..'")
        char, start = self.text[self.pos], self.pos
        if char == ".":
            self.fail("character '.' is not valid here")
        target: Selector | str
        if char == "*":
            self.pos += 1
            target = Wildcard()
        else:
            target = self._bracket() if char == "[" else self._name_or_function()
        if not scan:
            return target
        if isinstance(target, (str, Scan)):
            self.fail("a deep scan '..' must be followed by a name, '*' or '['", start)
        return Scan(target)

    def _name_or_function(self) -> Name | str:
        start = self.pos
        while self.pos < self.end and self.text[self.pos] not in ".[(":
            if self.text[self.pos] == " ":
                self.fail("use bracket notation ['my prop'] for a property with blanks")
            self.pos += 1
        name = self.text[start:self.pos]
        if self.pos == self.end or self.text[self.pos] != "(":
            return Name((name,))
        if name not in _FUNCTIONS:
            self.fail(f"unknown function '{name}()'", start)
        if not self.text.startswith("()", self.pos, self.end):
            self.fail(f"function '{name}' takes no arguments")
        self.pos += 2
        return name

    def _bracket(self) -> Selector:
        self.pos += 1
        self._skip_blanks()
        char = self.text[self.pos] if self.pos < self.end else ""
        selector: Selector
        if char in ("'", '"'):
            selector = self._quoted_names(char)
        elif char == "*":
            self.pos += 1
            selector = Wildcard()
        elif char == "?":
            selector = self._filter()
        elif char and (char.isdigit() or char in "-:"):
            selector = self._indexes()
        else:
            self.fail("expected a quoted name, '*', '?(', an index or a slice after '['")
        self._skip_blanks()
        if self.pos >= self.end or self.text[self.pos] != "]":
            self.fail("expected ']'")
        self.pos += 1
        return selector

    def _skip_blanks(self) -> None:
        while self.pos < self.end and self.text[self.pos].isspace():
            self.pos += 1

    def _quoted_names(self, quote: str) -> Name:
        names: list[str] = []
        while True:
            self._skip_blanks()
            if self.pos >= self.end or self.text[self.pos] != quote:
                self.fail(f"expected a name in {quote} quotes")
            close = _closing_quote(self.text, self.pos, self.end)
            if close >= self.end:
                self.fail(f"property has not been closed - missing closing {quote}")
            names.append(self.text[self.pos + 1:close])  # escapes kept verbatim, as AWS does
            self.pos = close + 1
            self._skip_blanks()
            if self.pos >= self.end or self.text[self.pos] != ",":
                return Name(tuple(names), quote)
            self.pos += 1

    def _indexes(self) -> Index | Slice:
        start = self.pos
        close = self.text.find("]", start, self.end)
        if close < 0:
            self.fail("expected ']'")
        body, self.pos = self.text[start:close], close
        if ":" not in body:
            return Index(tuple(self._integer(part, start) for part in body.split(",")))
        parts = body.split(":")
        if len(parts) > 3 or not (parts[0].strip() or parts[1].strip()):
            self.fail(f"invalid slice '[{body}]'", start)
        bounds = [self._integer(part, start) if part.strip() else None for part in parts]
        return Slice(bounds[0], bounds[1])  # Jayway ignores a step

    def _integer(self, part: str, start: int) -> int:
        if not re.fullmatch(r"\s*-?\d+\s*", part):
            self.fail(f"'{part}' is not an integer", start)
        return int(part)

    def _filter(self) -> Filter:
        self.pos += 1
        self._skip_blanks()
        if self.pos >= self.end or self.text[self.pos] != "(":
            self.fail("expected '(' after '?'")
        close = _closing_paren(self.text, self.pos, self.end)
        if close < 0:
            self.fail("the filter is not closed with ')'")
        expr = _FilterParser(self.text, _lex_filter(self.text, self.pos + 1, close), close).parse()
        self.pos = close + 1
        return Filter(expr)


def _closing_quote(text: str, pos: int, end: int) -> int:
    """Index of the quote closing the one at ``pos`` (a backslash escapes), or ``end``."""
    i = pos + 1
    while i < end and text[i] != text[pos]:
        i += 2 if text[i] == "\\" else 1
    return min(i, end)


def _closing_paren(text: str, pos: int, end: int) -> int:
    depth, i = 0, pos
    while i < end:
        char = text[i]
        if char in "'\"":
            i = _closing_quote(text, i, end)
        elif char in "()":
            depth += 1 if char == "(" else -1
            if depth == 0:
                return i
        i += 1
    return -1


class _Token(NamedTuple):
    kind: str
    text: str
    pos: int


_FILTER_TOKEN = re.compile(r"""
    (?P<blank>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<op>===|!==|==|!=|<=|>=|&&|\|\||[<>!(),\[\]])
  | (?P<word>[A-Za-z]+)
  | (?P<path>[@$])
""", re.VERBOSE | re.DOTALL)
_JAVA_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}
_STRICT = {"===": "==", "!==": "!="}  # Jayway's type-safe forms; our equality never coerces


def _lex_filter(text: str, pos: int, end: int) -> list[_Token]:
    tokens: list[_Token] = []
    while pos < end:
        match = _FILTER_TOKEN.match(text, pos, end)
        if match is None:
            raise PathSyntaxError(text, pos, f"unexpected character {text[pos]!r} in filter")
        kind = match.lastgroup or ""
        stop = _operand_end(text, pos + 1, end) if kind == "path" else match.end()
        if kind != "blank":
            tokens.append(_Token(kind, text[pos:stop], pos))
        pos = stop
    return tokens


def _operand_end(text: str, pos: int, end: int) -> int:
    """End of a path operand: a blank, an operator or an unmatched ')' outside brackets."""
    depth = 0
    while pos < end:
        char = text[pos]
        if char in "'\"" and depth:
            pos = _closing_quote(text, pos, end)
        elif char in "[]":
            depth += 1 if char == "[" else -1
        elif not depth and (char.isspace() or char in "<>=!~&|,)") and text[pos - 1:pos + 1] != "()":
            break
        pos += 1
    return pos


class _FilterParser:
    """``or := and ('||' and)*; and := unary ('&&' unary)*; unary := '!' unary | '(' or ')' | relation``."""

    def __init__(self, text: str, tokens: list[_Token], end: int) -> None:
        self.text, self.tokens, self.end, self.i = text, tokens, end, 0

    def parse(self) -> Expr:
        expr = self._or()
        if self.i < len(self.tokens):
            self._fail(f"unexpected '{self.tokens[self.i].text}'")
        return expr

    def _fail(self, problem: str) -> NoReturn:
        position = self.tokens[self.i].pos if self.i < len(self.tokens) else self.end
        raise PathSyntaxError(self.text, position, problem)

    def _take(self, *texts: str) -> str | None:
        if self.i < len(self.tokens) and self.tokens[self.i].kind in ("op", "word"):
            text = self.tokens[self.i].text
            if text in texts:
                self.i += 1
                return text
        return None

    def _or(self) -> Expr:
        expr = self._and()
        while self._take("||"):
            expr = Logical("||", expr, self._and())
        return expr

    def _and(self) -> Expr:
        expr = self._unary()
        while self._take("&&"):
            expr = Logical("&&", expr, self._unary())
        return expr

    def _unary(self) -> Expr:
        if self._take("!"):
            return Not(self._unary())
        if self._take("("):
            expr = self._or()
            if not self._take(")"):
                self._fail("expected ')'")
            return expr
        left = self._operand()
        op = self._take("==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "nin")
        if op is not None:
            return Comparison(_STRICT.get(op, op), left, self._operand())
        if not isinstance(left, PathOperand):
            self._fail("expected a comparison operator")
        return Exists(left)

    def _operand(self) -> Operand:
        if self.i >= len(self.tokens):
            self._fail("expected an operand")
        token = self.tokens[self.i]
        if token.kind == "path":
            self.i += 1
            steps, offsets, function = _PathParser(self.text, token.pos + 1, token.pos + len(token.text)).parse()
            return PathOperand(_build(token.text, "input", None, steps, offsets, function), token.text[0] == "@")
        if self._take("["):
            members = [] if self._take("]") else self._list_members()
            return Value(members)
        return Value(self._literal())

    def _list_members(self) -> list[Any]:
        members = [self._literal()]
        while self._take(","):
            members.append(self._literal())
        if not self._take("]"):
            self._fail("expected ']'")
        return members

    def _literal(self) -> Any:
        if self.i >= len(self.tokens):
            self._fail("expected a value")
        token = self.tokens[self.i]
        self.i += 1
        if token.kind == "string":
            return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", _unescape, token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if token.text in ("true", "false", "null"):
            return None if token.text == "null" else token.text == "true"
        if token.kind == "word" and token.text not in ("in", "nin"):
            return token.text  # AWS accepts ``[?(@.lang==es)]``: an unquoted word is that string
        self.i -= 1
        self._fail(f"unexpected '{token.text}'")


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if len(code) == 5 else _JAVA_ESCAPES.get(code, code)


# --- reference paths ----------------------------------------------------------------------------


class _NoMatch(Exception):
    pass


@dataclass(frozen=True, slots=True)
class ReferencePath:
    """A path naming one node (names and single indexes only), used to place results (``ResultPath``)."""

    text: str
    path: JsonPath = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        path = compile_path(self.text)
        if path.function is not None:
            raise PathSyntaxError(self.text, self.text.rindex("."), "a reference path cannot call a function")
        for step, offset in zip(path.steps, path.offsets):
            if not (isinstance(step, (Name, Index)) and step.definite) or (isinstance(step, Name) and step.merge):
                raise PathSyntaxError(self.text, offset, f"a reference path must select a single node, "
                                                         f"not '{step.fragment()}'")
        object.__setattr__(self, "path", path)

    def assign(self, document: Any, value: Any) -> Any:
        """Return a copy of ``document`` with ``value`` at this path, creating missing objects."""
        try:
            return _put(document, self.path.steps, 0, value)
        except _NoMatch:
            raise errors.StatesError(
                errors.RESULT_PATH_MATCH_FAILURE,
                f"Unable to apply ReferencePath {self.text} to input {_compact(document)}",
            ) from None


def _put(node: Any, steps: tuple[Selector, ...], at: int, value: Any) -> Any:
    if at == len(steps):
        return value
    step = steps[at]
    if isinstance(step, Name) and isinstance(node, dict):
        key = step.names[0]
        updated = dict(node)
        updated[key] = _put(node.get(key, {}), steps, at + 1, value)
        return updated
    if isinstance(step, Index) and isinstance(node, list):
        index = step.indexes[0] + len(node) if step.indexes[0] < 0 else step.indexes[0]
        if 0 <= index < len(node):
            copied = list(node)
            copied[index] = _put(node[index], steps, at + 1, value)
            return copied
    raise _NoMatch


@lru_cache(maxsize=4096)
def compile_reference_path(text: str) -> ReferencePath:
    """Compile a reference path; PathSyntaxError when it is invalid or could select several nodes."""
    return ReferencePath(text)

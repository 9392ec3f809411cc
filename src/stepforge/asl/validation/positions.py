"""Where a JSON pointer lands in the text of a definition: line and column, both 1-based.

:func:`json_positions` scans JSON text once and records where every value starts (for an object
member, where its key starts, which is where a person looks). :func:`yaml_positions` does the same
for YAML through PyYAML's node marks. Both tolerate broken input: they return what they saw before
the problem. :meth:`Positions.locate` falls back to the nearest enclosing value, so any pointer
resolves to some place in the file.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from typing import Any

Position = tuple[int, int]
_WHITESPACE = " \t\r\n"
_LITERAL_END = ",]}:" + _WHITESPACE


def escape_token(key: str) -> str:
    """A key as a JSON pointer token (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def parent_pointer(pointer: str) -> str:
    """The pointer one level up; the root's parent is the root."""
    return pointer[: pointer.rfind("/")] if "/" in pointer else ""


@dataclass
class Positions:
    """Pointer -> (line, column) of one document, plus the pointers of duplicated object keys."""

    places: dict[str, Position] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    def locate(self, pointer: str | None) -> Position:
        """The place of ``pointer``, or of its nearest recorded ancestor, or (1, 1)."""
        current = "" if pointer in (None, "/") else str(pointer)
        while True:
            if current in self.places:
                return self.places[current]
            if not current:
                return (1, 1)
            current = parent_pointer(current)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


class _JsonScanner:
    """An iterative scanner (no recursion, so any depth is fine) that records value offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.offsets: dict[str, int] = {}
        self.duplicates: list[str] = []
        self.stack: list[tuple[str, str, set[str] | list[int]]] = []

    def run(self) -> None:
        try:
            self._scan()
        except (IndexError, ValueError):
            return

    def _skip(self) -> str:
        text, pos = self.text, self.pos
        while text[pos] in _WHITESPACE:
            pos += 1
        self.pos = pos
        return text[pos]

    def _scan(self) -> None:
        pointer, start = "", -1
        while True:
            char = self._skip()
            self.offsets[pointer] = start if start >= 0 else self.pos
            if char == "{":
                self.pos += 1
                self.stack.append(("o", pointer, set()))
                if self._skip() == "}":
                    self.pos += 1
                    self.stack.pop()
                else:
                    pointer, start = self._member()
                    continue
            elif char == "[":
                self.pos += 1
                self.stack.append(("a", pointer, [0]))
                if self._skip() == "]":
                    self.pos += 1
                    self.stack.pop()
                else:
                    pointer, start = f"{pointer}/0", -1
                    continue
            else:
                self._scalar(char)
            following = self._after()
            if following is None:
                return
            pointer, start = following

    def _scalar(self, char: str) -> None:
        if char == '"':
            self.pos = self._string_end(self.pos)
            return
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _LITERAL_END:
            self.pos += 1
        if self.pos == start:
            raise ValueError("no value")

    def _string_end(self, pos: int) -> int:
        text, pos = self.text, pos + 1
        while text[pos] != '"':
            pos += 2 if text[pos] == "\\" else 1
        return pos + 1

    def _member(self) -> tuple[str, int]:
        if self._skip() != '"':
            raise ValueError("expected a key")
        start = self.pos
        end = self._string_end(start)
        key = json.loads(self.text[start:end])
        self.pos = end
        if self._skip() != ":":
            raise ValueError("expected ':'")
        self.pos += 1
        _, pointer, seen = self.stack[-1]
        member = f"{pointer}/{escape_token(key)}"
        if isinstance(seen, set):
            if key in seen:
                self.duplicates.append(member)
            seen.add(key)
        return member, start

    def _after(self) -> tuple[str, int] | None:
        while self.stack:
            kind, pointer, state = self.stack[-1]
            char = self._skip()
            self.pos += 1
            if char == ",":
                if kind == "o":
                    return self._member()
                assert isinstance(state, list)
                state[0] += 1
                return f"{pointer}/{state[0]}", -1
            if char not in "}]":
                raise ValueError("expected ',' or a closing bracket")
            self.stack.pop()
        return None


def json_positions(text: str) -> Positions:
    """Scan JSON ``text``; never raises."""
    scanner = _JsonScanner(text)
    scanner.run()
    lines = _LineIndex(text)
    places = {pointer: lines.position(offset) for pointer, offset in scanner.offsets.items()}
    return Positions(places, scanner.duplicates)


def yaml_positions(text: str) -> Positions:
    """Places of the values of a YAML document (PyYAML marks); an unreadable document gives none."""
    import yaml  # type: ignore[import-untyped]

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return Positions()
    found = Positions()
    pending: list[tuple[str, Any, Any]] = [("", root, None)] if root is not None else []
    while pending:
        pointer, node, mark = pending.pop()
        found.places[pointer] = _mark(mark or node.start_mark)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                member = f"{pointer}/{escape_token(key)}"
                if key in seen:
                    found.duplicates.append(member)
                seen.add(key)
                pending.append((member, value_node, key_node.start_mark))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((f"{pointer}/{i}", item, None) for i, item in enumerate(node.value))
    return found


def _mark(mark: Any) -> Position:
    return int(mark.line) + 1, int(mark.column) + 1

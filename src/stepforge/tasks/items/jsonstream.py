"""The elements of a JSON array read from a stream, one at a time (the array is never held whole).

:func:`elements` reads text in chunks and lets the C JSON decoder (``raw_decode``) parse each element
from a buffer that holds only the current element and the unread rest of the chunk. ``pointer``
(RFC 6901, as ItemsPointer) first walks object members and array elements down to the array to read;
values beside the path are parsed and dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from stepforge.tasks.items.errors import ItemsError

NOT_ITERABLE = "Attempting to map over non-iterable node."
_CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"
_NUMBER = "0123456789.eE+-"


class _Cursor:
    """A read position in a stream of JSON text."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.buffer, self.at, self.eof = stream, "", 0, False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.at:] + chunk
        self.at = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.buffer) or not self._more():
                return self.buffer[self.at:self.at + 1]

    def take(self, char: str) -> None:
        if self.peek() != char:
            raise ItemsError(f"Malformed JSON: expected '{char}' at '{self.buffer[self.at:self.at + 40]}'")
        self.at += 1

    def value(self) -> Any:
        """Decode the next JSON value, reading more text while it is incomplete."""
        self.peek()
        while True:
            try:
                found, end = _DECODER.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise ItemsError(f"Malformed JSON: {exc.msg}") from None
            if (isinstance(found, (int, float)) and not self.buffer[end:].lstrip(_NUMBER)
                    and self._more()):
                continue  # the number may go on in the next chunk
            self.at = end
            return found


def elements(stream: TextIO, pointer: str = "") -> Iterator[Any]:
    """Each element of the array at ``pointer`` ("" is the document itself)."""
    cursor = _Cursor(stream)
    for token in _tokens(pointer):
        _descend(cursor, token, pointer)
    if cursor.peek() != "[":
        raise ItemsError(NOT_ITERABLE)
    cursor.take("[")
    if cursor.peek() == "]":
        return
    while True:
        yield cursor.value()
        if cursor.peek() == "]":
            return
        cursor.take(",")


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ItemsError(f"Invalid ItemsPointer '{pointer}': a JSON pointer starts with '/'.")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _descend(cursor: _Cursor, token: str, pointer: str) -> None:
    """Move the cursor to the value of member (or element) ``token`` of the container it is at."""
    opening = cursor.peek()
    if opening not in "{[" or not opening:
        raise ItemsError(f"The ItemsPointer '{pointer}' does not refer to a value of the document.")
    cursor.take(opening)
    index = 0
    while cursor.peek() not in ("}", "]", ""):
        if opening == "{":
            name = cursor.value()
            cursor.take(":")
            if name == token:
                return
        elif token == str(index):
            return
        cursor.value()
        index += 1
        if cursor.peek() == ",":
            cursor.take(",")
    raise ItemsError(f"The ItemsPointer '{pointer}' does not refer to a value of the document.")

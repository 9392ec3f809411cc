"""YAML read as YAML 1.2 (its core schema) with PyYAML, which implements YAML 1.1.

YAML 1.1 reads ``Next: Yes`` as ``true``, ``017`` as 15, ``1:30`` as 90 and an ISO date as a date;
YAML 1.2 -- what AWS's tools, the CloudFormation/SAM toolchain and current YAML libraries read --
gives the string ``"Yes"``, 17, ``"1:30"`` and the date's own text. :class:`Yaml12Loader` is
PyYAML's safe loader with the implicit types of the 1.2 core schema only: ``null``/``~``/empty,
``true``/``false`` (three spellings each), decimal, ``0o`` octal and ``0x`` hex integers, and floats
with ``.inf``/``.nan``; every other plain scalar is a string.

Why a resolver rather than a YAML 1.2 library (ruamel.yaml): PyYAML is already a pinned dependency,
the difference between the two specs for definition files is exactly these implicit types, and one
parser keeps the line/column positions of :mod:`stepforge.asl.validation.positions` consistent with
the document that is validated.
"""

from __future__ import annotations

import re
from typing import Any, Final

import yaml  # type: ignore[import-untyped]

_BOOL: Final = "tag:yaml.org,2002:bool"
_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_NULL: Final = "tag:yaml.org,2002:null"
_TIMESTAMP: Final = "tag:yaml.org,2002:timestamp"
_REPLACED: Final = frozenset({_BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP})

_CORE: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = (
    (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),
    (_FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), "-+0123456789."),
)


class Yaml12Loader(yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader resolving plain scalars by the YAML 1.2 core schema."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _firsts in _CORE:
    Yaml12Loader.add_implicit_resolver(_tag, _pattern, [*_firsts, *([None] if _tag == _NULL else [])])


def _construct_int(loader: Yaml12Loader, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _construct_bool(loader: Yaml12Loader, node: Any) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


Yaml12Loader.add_constructor(_INT, _construct_int)
Yaml12Loader.add_constructor(_BOOL, _construct_bool)


def load(text: str) -> Any:
    """The document of YAML text, read as YAML 1.2; PyYAML's errors pass through."""
    return yaml.load(text, Loader=Yaml12Loader)

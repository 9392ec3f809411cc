"""Parts of an AWS API request every route reads the same way: the JSON parameters of its body and
the region it is signed for."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from starlette.requests import Request as HttpRequest
from starlette.types import Scope

from stepforge.api.edge import VERIFIED_REGION
from stepforge.service.errors import SerializationException

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
#: A run of digits orjson might read as a number past 64 bits (it reads those as floats; json keeps ints).
_LONG_DIGITS = re.compile(rb"\d{19}")


def params(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; SerializationException, as AWS answers, for anything that
    is not strict JSON: invalid text, NaN/Infinity/-Infinity, nesting too deep to parse.

    orjson reads it when it reads it as json does; a body it refuses (not UTF-8, a lone surrogate,
    invalid) or that may hold an integer past 64 bits is read by json, whose value or error is the answer."""
    if not body.strip():
        return {}
    if _LONG_DIGITS.search(body) is None:
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError:
            value = _json_params(body)
    else:
        value = _json_params(body)
    if not isinstance(value, dict):
        raise SerializationException("Request body must be a JSON object")
    return value


def _json_params(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise SerializationException(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise SerializationException("Request body is nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise SerializationException(f"Request body is not valid JSON: {name} is not a JSON number")


def region(http: HttpRequest, default: str) -> str:
    """The verified credential scope's region; without keys configured, the header's (unverified) one."""
    return scope_region(http.scope, http.headers.get("authorization", ""), default)


def scope_region(scope: Scope, authorization: str, default: str) -> str:
    """:func:`region` of a request's ASGI ``scope`` and its ``Authorization`` header ("" when absent)."""
    if VERIFIED_REGION in scope:
        return str(scope[VERIFIED_REGION])
    match = _REGION.search(authorization) if authorization else None
    return match.group(1) if match else default

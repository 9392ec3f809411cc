"""Parts of an AWS API request every route reads the same way: the JSON parameters of its body and
the region it is signed for."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.requests import Request as HttpRequest

from stepforge.api.edge import VERIFIED_REGION
from stepforge.service.errors import SerializationException

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def params(body: bytes) -> dict[str, Any]:
    """The JSON object of a request body; SerializationException, as AWS answers, for anything that
    is not strict JSON: invalid text, NaN/Infinity/-Infinity, nesting too deep to parse."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:
        raise SerializationException(f"Request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise SerializationException("Request body is nested too deeply") from None
    if not isinstance(params, dict):
        raise SerializationException("Request body must be a JSON object")
    return params


def _refuse_constant(name: str) -> Any:
    raise SerializationException(f"Request body is not valid JSON: {name} is not a JSON number")


def region(http: HttpRequest, default: str) -> str:
    """The verified credential scope's region; without keys configured, the header's (unverified) one."""
    if VERIFIED_REGION in http.scope:
        return str(http.scope[VERIFIED_REGION])
    match = _REGION.search(http.headers.get("authorization", ""))
    return match.group(1) if match else default

"""The HTTP Task: ``arn:aws:states:::http:invoke`` with httpx.

Parameters as AWS: ``ApiEndpoint``, ``Method``, ``Headers``, ``QueryParameters``, ``RequestBody``,
``Transform`` (``RequestBodyEncoding`` NONE | URL_ENCODED, ``RequestEncodingOptions.ArrayFormat``)
and ``Authentication.ConnectionArn``, whose connection (basic, API key or OAuth client credentials)
comes from the local config by name. The result is ``{Headers, ResponseBody, StatusCode, StatusText}``;
a status outside 2xx fails with ``States.Http.StatusCode.NNN``, a network error with
``States.Http.Socket``. Private, loopback and link-local targets are refused unless allow-listed.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.parse
from http import HTTPStatus
from typing import Any

from stepforge.tasks.config import HttpSettings
from stepforge.tasks.lambdas import Outcome

SOCKET = "States.Http.Socket"
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")


class Refused(Exception):
    """A request the task may not make; the message is the cause."""


def invoke(value: Any, settings: HttpSettings) -> Outcome:
    """Make the request ``value`` (the task's effective Parameters) describes."""
    import httpx

    try:
        request = _request(value, settings)
        check_target(request["url"], settings.allow)
        with httpx.Client(timeout=settings.timeout, follow_redirects=False) as client:
            response = client.request(**request)
    except Refused as exc:
        return Outcome(error="States.Runtime" if "parameter" in str(exc) else SOCKET, cause=str(exc))
    except httpx.HTTPError as exc:
        return Outcome(error=SOCKET, cause=f"{type(exc).__name__}: {exc}")
    return _outcome(response.status_code, response.headers.multi_items(), response.text)


def _request(value: Any, settings: HttpSettings) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("ApiEndpoint"), str):
        raise Refused("The parameter 'ApiEndpoint' is required by http:invoke.")
    method = str(value.get("Method", "GET")).upper()
    if method not in _METHODS:
        raise Refused(f"The parameter 'Method' must be one of {', '.join(_METHODS)}.")
    headers = {str(k): str(v) for k, v in (value.get("Headers") or {}).items()}
    params = _flatten(value.get("QueryParameters") or {}, "REPEAT")
    _authenticate(value.get("Authentication"), settings, headers, params)
    request: dict[str, Any] = {"method": method, "url": value["ApiEndpoint"], "headers": headers,
                               "params": params}
    body = value.get("RequestBody")
    if body is not None:
        transform = value.get("Transform") or {}
        if transform.get("RequestBodyEncoding") == "URL_ENCODED" and isinstance(body, dict):
            array_format = (transform.get("RequestEncodingOptions") or {}).get("ArrayFormat", "INDICES")
            request["content"] = urllib.parse.urlencode(_flatten(body, array_format))
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif isinstance(body, str):
            request["content"] = body
        else:
            request["content"] = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
    return request


def _flatten(values: dict[str, Any], array_format: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if isinstance(value, list):
            if array_format == "COMMAS":
                pairs.append((key, ",".join(_text(v) for v in value)))
            else:
                for index, item in enumerate(value):
                    name = {"INDICES": f"{key}[{index}]", "BRACKETS": f"{key}[]"}.get(array_format, key)
                    pairs.append((name, _text(item)))
        else:
            pairs.append((key, _text(value)))
    return pairs


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _authenticate(auth: Any, settings: HttpSettings, headers: dict[str, str],
                  params: list[tuple[str, str]]) -> None:
    if not isinstance(auth, dict) or not auth.get("ConnectionArn"):
        return
    name = str(auth["ConnectionArn"]).rsplit(":connection/", 1)[-1].split("/", 1)[0]
    connection = settings.connections.get(name)
    if connection is None:
        raise Refused(f"The parameter 'Authentication.ConnectionArn' names connection '{name}', "
                      "which is not in the [http.connections] config.")
    from stepforge.tasks.connections import apply

    apply(connection, headers, params, settings)


def check_target(url: str, allow: list[str]) -> None:
    """Refuse non-HTTP schemes and private/loopback/link-local hosts that are not allow-listed (SSRF)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"The parameter 'ApiEndpoint' must be an http(s) URL, not {url!r}.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.hostname in allow or f"{parts.hostname}:{port}" in allow:
        return
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise Refused(f"Cannot resolve {parts.hostname}: {exc}") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified:
            raise Refused(f"Refused to call {parts.hostname}:{port}: {ip} is a private or loopback address. "
                          f"Allow it with [http] allow = [\"{parts.hostname}:{port}\"] in the --config file.")


def _outcome(status: int, headers: list[tuple[str, str]], text: str) -> Outcome:
    grouped: dict[str, list[str]] = {}
    for key, value in headers:
        grouped.setdefault(key.lower(), []).append(value)
    try:
        body: Any = json.loads(text) if text else ""
    except ValueError:
        body = text
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    result = {"Headers": grouped, "ResponseBody": body, "StatusCode": status, "StatusText": reason}
    if 200 <= status < 300:
        return Outcome(output=result)
    return Outcome(error=f"States.Http.StatusCode.{status}", cause=json.dumps(result))

"""The HTTP Task: ``arn:aws:states:::http:invoke`` with httpx.

Parameters as AWS: ``ApiEndpoint`` (its own query string kept, ``QueryParameters`` appended after it),
``Method``, ``Headers``, ``QueryParameters``, ``RequestBody``, ``Transform`` (``RequestBodyEncoding``
NONE | URL_ENCODED, ``RequestEncodingOptions.ArrayFormat``) and ``Authentication.ConnectionArn``, whose
connection (basic, API key or OAuth client credentials) comes from the local config by name and is sent
only to the hosts it lists. The result is ``{Headers, ResponseBody, StatusCode, StatusText}``; a status
outside 2xx fails with ``States.Http.StatusCode.NNN``, a network error or a refused target with
``States.Http.Socket``, a response body over 256 KiB with ``States.DataLimitExceeded`` (read as a
stream, never more than the cap plus one chunk). The whole request — connecting, sending, every chunk
of the answer — gets ``[http] timeout`` seconds (60, as AWS allows an HTTP Task): a server that
trickles its answer a byte at a time is cut off at its next chunk after that, with ``States.Http.Socket``
(a silent server, by the per-read timeout of the same length). Targets pass the SSRF guard of
:mod:`stepforge.tasks.targets` and the request goes to the address it checked.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import zlib
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from stepforge.tasks import tracecontext
from stepforge.tasks.config import HttpSettings
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.targets import RUNTIME, SOCKET, Refused, Target, resolve

if TYPE_CHECKING:
    import httpx

DATA_LIMIT = "States.DataLimitExceeded"
_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")


class TooLarge(Exception):
    """A response body longer than the cap; the message is the cause."""


class TooSlow(Exception):
    """The request did not complete within its total time; the message is the cause."""


def invoke(value: Any, settings: HttpSettings) -> Outcome:
    """Make the request ``value`` (the task's effective Parameters) describes."""
    import httpx

    try:
        request = _request(value)
        target = resolve(request["url"], settings.allow)
        _authenticate(value.get("Authentication"), settings, target, request)
        deadline = time.monotonic() + settings.timeout
        with httpx.Client(timeout=settings.timeout, follow_redirects=False, trust_env=False) as client:
            status, headers, body = _fetch(client, target, request, settings.response_limit, deadline)
    except Refused as exc:
        return Outcome(error=exc.error, cause=str(exc))
    except TooLarge as exc:
        return Outcome(error=DATA_LIMIT, cause=str(exc))
    except TooSlow as exc:
        return Outcome(error=SOCKET, cause=str(exc))
    except zlib.error as exc:
        return Outcome(error=SOCKET, cause=f"The response body cannot be decoded: {exc}")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(error=SOCKET, cause=f"{type(exc).__name__}: {exc}")
    return _outcome(status, headers, body.decode("utf-8", errors="replace"))


def _fetch(client: httpx.Client, target: Target, request: dict[str, Any],
           limit: int, deadline: float) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send ``request`` to ``target``'s checked address, the Host header and TLS name kept."""
    import httpx

    url = httpx.URL(request.pop("url")).copy_with(host=target.address)
    headers = {k: v for k, v in request.pop("headers").items() if k.lower() != "host"}
    headers["Host"] = target.authority
    given = {name.lower() for name in headers}
    headers.update({k: v for k, v in tracecontext.current().items() if k not in given})  # unless the state sets them
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    with client.stream(url=url, headers=headers, extensions=extensions, **request) as response:
        body = read_capped(response, limit, deadline)
        return response.status_code, response.headers.multi_items(), body


def read_capped(response: httpx.Response, limit: int, deadline: float = float("inf")) -> bytes:
    """The decoded body, read chunk by chunk; :class:`TooLarge` as soon as it passes ``limit`` bytes,
    :class:`TooSlow` once ``deadline`` (``time.monotonic()``) passes between chunks.
    gzip and deflate are inflated at most ``limit + 1`` bytes at a time, so a compression bomb stops
    at the cap too; other encodings are returned as sent."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    declared = response.headers.get("content-length", "")
    if encoding == "identity" and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The response body has {declared} bytes, over the {limit}-byte limit.")
    inflate = zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "x-gzip", "deflate") else None
    body = bytearray()
    for chunk in response.iter_raw():
        body += inflate.decompress(chunk, limit + 1 - len(body)) if inflate is not None else chunk
        if len(body) > limit:
            raise TooLarge(f"The response body is over the {limit}-byte limit.")
        if time.monotonic() > deadline:
            raise TooSlow("The HTTP request did not complete within its time limit "
                          f"({len(body)} bytes of the response read).")
    return bytes(body)


def _request(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("ApiEndpoint"), str):
        raise Refused("The parameter 'ApiEndpoint' is required by http:invoke.", RUNTIME)
    method = str(value.get("Method", "GET")).upper()
    if method not in _METHODS:
        raise Refused(f"The parameter 'Method' must be one of {', '.join(_METHODS)}.", RUNTIME)
    headers = {str(k): str(v) for k, v in (value.get("Headers") or {}).items()}
    params = _flatten(value.get("QueryParameters") or {}, "REPEAT")
    request: dict[str, Any] = {"method": method, "url": with_query(value["ApiEndpoint"], params),
                               "headers": headers}
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


def with_query(url: str, params: list[tuple[str, str]], *, override: bool = False) -> str:
    """``url`` with ``params`` appended to the query string it already has, which is kept as written;
    with ``override``, pairs of the URL whose name ``params`` sets are dropped first (a connection's
    query parameters take precedence over the task's, as EventBridge merges them)."""
    if not params:
        return url
    parts = urllib.parse.urlsplit(url)
    query = parts.query
    if override and query:
        names = {name for name, _ in params}
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(name in names for name, _ in pairs):
            query = urllib.parse.urlencode([pair for pair in pairs if pair[0] not in names])
    extra = urllib.parse.urlencode(params)
    return urllib.parse.urlunsplit(parts._replace(query=f"{query}&{extra}" if query else extra))


def _authenticate(auth: Any, settings: HttpSettings, target: Target, request: dict[str, Any]) -> None:
    if not isinstance(auth, dict) or not auth.get("ConnectionArn"):
        return
    name = str(auth["ConnectionArn"]).rsplit(":connection/", 1)[-1].split("/", 1)[0]
    connection = settings.connections.get(name)
    if connection is None:
        raise Refused(f"The parameter 'Authentication.ConnectionArn' names connection '{name}', "
                      "which is not in the [http.connections] config.", RUNTIME)
    from stepforge.tasks.connections import apply

    params: list[tuple[str, str]] = []
    apply(name, connection, target, request["headers"], params, settings)
    request["url"] = with_query(request["url"], params, override=True)
def answer_fields(status: int, headers: list[tuple[str, str]], text: str, *, lower_names: bool = True) -> dict[str, Any]:
    """An HTTP answer as Step Functions gives it to a state: ``Headers`` (each name's values in a list,
    names in lower case unless ``lower_names`` is False), ``ResponseBody`` (its JSON when it parses),
    ``StatusCode`` and ``StatusText``."""
    grouped: dict[str, list[str]] = {}
    for key, value in headers:
        grouped.setdefault(key.lower() if lower_names else key, []).append(value)
    try:
        body: Any = json.loads(text) if text else ""
    except ValueError:
        body = text
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return {"Headers": grouped, "ResponseBody": body, "StatusCode": status, "StatusText": reason}


def _outcome(status: int, headers: list[tuple[str, str]], text: str) -> Outcome:
    result = answer_fields(status, headers, text)
    if 200 <= status < 300:
        return Outcome(output=result)
    return Outcome(error=f"States.Http.StatusCode.{status}", cause=json.dumps(result))

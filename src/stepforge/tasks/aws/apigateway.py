"""``arn:aws:states:::apigateway:invoke``: call an API Gateway endpoint with httpx, as Step Functions does.

Parameters as AWS documents them: ``ApiEndpoint`` (a host name such as
``abc123.execute-api.us-east-1.amazonaws.com``, called over HTTPS; a URL with its scheme is called as
written, so an API served locally can be reached), ``Method`` (GET, POST, PUT, DELETE, PATCH, HEAD,
OPTIONS), ``Stage``, ``Path``, ``Headers`` and ``QueryParameters`` (each name to a list of values, or
one value), ``RequestBody`` (a JSON value, sent as JSON, or a string, sent as written), ``AllowNullValues``
(false by default: null members of a JSON body are left out) and ``AuthType``: ``NO_AUTH`` (the default),
``IAM_ROLE`` or ``RESOURCE_POLICY`` (both signed with Signature Version 4 for ``execute-api``). Headers
AWS does not let a state set (``Authorization``, ``Host``, ``X-Amz*``, ``X-Forwarded*``, ...) fail the
task with ``States.Runtime``, as does any other invalid parameter.

The result is ``{"Headers": {name: [values]}, "ResponseBody": JSON or text, "StatusCode", "StatusText"}``.
A status outside 2xx fails the task with ``ApiGateway.<status>`` and the response body as the cause; a
call that gets no answer with ``ApiGateway.<exception>``. The target passes the HTTP Task's network
guard (``[http] allow``, :mod:`stepforge.tasks.targets`) and its body limit and timeout.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from stepforge.tasks import tracecontext
from stepforge.tasks.config import HttpSettings
from stepforge.tasks.http import DATA_LIMIT, TooLarge, TooSlow, answer_fields, read_capped, with_query
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.targets import RUNTIME, Refused, Target, resolve

if TYPE_CHECKING:
    import httpx

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
AUTH_TYPES = ("NO_AUTH", "IAM_ROLE", "RESOURCE_POLICY")
_FORBIDDEN = frozenset({"authorization", "connection", "content-md5", "expect", "host", "max-forwards",
                        "proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade", "via",
                        "www-authenticate"})
_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz")


def invoke(value: Any, settings: HttpSettings, region: str) -> Outcome:
    """Make the call ``value`` (the task's effective Parameters) describes."""
    import httpx

    try:
        request = _request(value if isinstance(value, dict) else {})
        target = resolve(request["url"], settings.allow)
        deadline = time.monotonic() + settings.timeout
        with httpx.Client(timeout=settings.timeout, follow_redirects=False, trust_env=False) as client:
            status, headers, body = _fetch(client, target, request, settings.response_limit, deadline, region)
    except Refused as exc:
        return Outcome(error=exc.error if exc.error == RUNTIME else "ApiGateway.Refused", cause=str(exc))
    except TooLarge as exc:
        return Outcome(error=DATA_LIMIT, cause=str(exc))
    except (TooSlow, httpx.HTTPError, httpx.InvalidURL) as exc:
        return Outcome(error=f"ApiGateway.{type(exc).__name__}", cause=str(exc))
    return _outcome(status, headers, body.decode("utf-8", errors="replace"))


def url(value: dict[str, Any]) -> str:
    """The URL a task calls: ``https://ApiEndpoint/Stage/Path`` with its ``QueryParameters`` (an HTTP API's
    ``$default`` stage, or none, is served at the root)."""
    endpoint = str(value["ApiEndpoint"]).rstrip("/")
    base = endpoint if "://" in endpoint else f"https://{endpoint}"
    stage = [] if value.get("Stage") in (None, "", "$default") else [str(value["Stage"]).strip("/")]
    parts = [*stage, *([str(value["Path"]).strip("/")] if value.get("Path") else [])]
    return with_query("/".join([base, *parts]), _pairs(value.get("QueryParameters"), "QueryParameters"))


def _request(value: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(value.get("ApiEndpoint"), str) or not value["ApiEndpoint"]:
        raise Refused("The parameter 'ApiEndpoint' is required by apigateway:invoke.", RUNTIME)
    method = value.get("Method")
    if method not in METHODS:
        raise Refused(f"The parameter 'Method' must be one of {', '.join(METHODS)}, not {method!r}.", RUNTIME)
    auth = value.get("AuthType", "NO_AUTH")
    if auth not in AUTH_TYPES:
        raise Refused(f"The parameter 'AuthType' must be one of {', '.join(AUTH_TYPES)}, not {auth!r}.", RUNTIME)
    headers = _pairs(value.get("Headers"), "Headers")
    for name, _ in headers:
        if name.lower() in _FORBIDDEN or name.lower().startswith(_FORBIDDEN_PREFIXES):
            raise Refused(f"The 'Headers' field contains unsupported values: {name}", RUNTIME)
    request: dict[str, Any] = {"method": method, "url": url(value), "headers": headers, "auth": auth}
    body = value.get("RequestBody")
    if isinstance(body, str):
        request["content"] = body
    elif body is not None:
        kept = body if value.get("AllowNullValues") is True else _without_nulls(body)
        request["content"] = json.dumps(kept, separators=(",", ":"))
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
    return request


def _pairs(values: Any, field: str) -> list[tuple[str, str]]:
    if values is None:
        return []
    if not isinstance(values, dict):
        raise Refused(f"The parameter '{field}' must be an object of names to lists of values.", RUNTIME)
    pairs: list[tuple[str, str]] = []
    for name, given in values.items():
        for item in given if isinstance(given, list) else [given]:
            pairs.append((str(name), item if isinstance(item, str) else json.dumps(item)))
    return pairs


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value if item is not None]
    return value


def _fetch(client: httpx.Client, target: Target, request: dict[str, Any], limit: int, deadline: float,
           region: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send ``request`` to ``target``'s checked address (Host header and TLS name kept), signed if asked."""
    import httpx

    headers = [(name, item) for name, item in request["headers"]]
    given = {name.lower() for name, _ in headers}
    headers += [(k, v) for k, v in tracecontext.current().items() if k.lower() not in given]
    headers.append(("Host", target.authority))
    content = request.get("content")
    if request["auth"] != "NO_AUTH":
        headers = _signed(request["method"], request["url"], headers, content, target.host, region)
    address = httpx.URL(request["url"]).copy_with(host=target.address)
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    with client.stream(request["method"], address, headers=headers, content=content,
                       extensions=extensions) as response:
        body = read_capped(response, limit, deadline)
        raw = [(name.decode("latin-1"), item.decode("latin-1")) for name, item in response.headers.raw]
        return response.status_code, raw, body


def _signed(method: str, address: str, headers: list[tuple[str, str]], content: str | None, host: str,
            region: str) -> list[tuple[str, str]]:
    """The headers with a Signature Version 4 ``Authorization`` for ``execute-api``, as Step Functions
    signs with the state machine's role (here: the pass-through's credentials)."""
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    parts = host.split(".")
    signing_region = parts[2] if len(parts) > 3 and parts[1] == "execute-api" else region
    aws_request = AWSRequest(method=method, url=address, data=content or b"", headers=dict(headers))
    SigV4Auth(Credentials("stepforge", "stepforge"), "execute-api", signing_region).add_auth(aws_request)
    return list(aws_request.headers.items())


def _outcome(status: int, headers: list[tuple[str, str]], text: str) -> Outcome:
    if 200 <= status < 300:
        return Outcome(output=answer_fields(status, headers, text, lower_names=False))
    return Outcome(error=f"ApiGateway.{status}", cause=text)


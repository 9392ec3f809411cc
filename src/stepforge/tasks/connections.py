"""Connections of the HTTP Task (EventBridge connections in AWS), from the local config.

    [http.connections.orders]
    basic = { username = "me", password = "secret" }
    # or: api_key = { name = "x-api-key", value = "secret" }
    # or: oauth = { token_url = "https://auth/token", client_id = "id", client_secret = "s", scope = "read" }
    headers = { "x-tenant" = "acme" }        # extra headers, as connections' InvocationHttpParameters
    query = { "region" = "eu" }
    hosts = ["api.example.com", "127.0.0.1:9000"]   # where it may be sent: host or host:port

A connection is bound to its ``hosts``: a task whose ``ApiEndpoint`` names another host fails with
``States.Runtime`` before anything is sent, so a state machine cannot carry the connection's secret
(credentials, extra headers and query parameters alike) to a server of its choosing. A connection
without ``hosts`` is bound to nothing and is refused: list the hosts it serves.
OAuth uses the client-credentials grant; tokens are cached until shortly before they expire.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from stepforge.tasks.config import HttpSettings
from stepforge.tasks.targets import RUNTIME, Refused, Target, allowed

_tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
_lock = threading.Lock()


def apply(name: str, connection: dict[str, Any], target: Target, headers: dict[str, str],
          params: list[tuple[str, str]], settings: HttpSettings) -> None:
    """Add connection ``name``'s credentials and parameters to a request for ``target``;
    :class:`Refused` (States.Runtime) when ``target`` is not one of the connection's ``hosts``."""
    bind(name, connection, target)
    basic = connection.get("basic")
    if basic:
        pair = f"{basic['username']}:{basic['password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    api_key = connection.get("api_key")
    if api_key:
        headers[str(api_key["name"])] = str(api_key["value"])
    oauth = connection.get("oauth")
    if oauth:
        headers["Authorization"] = "Bearer " + _oauth_token(oauth, settings)
    headers.update({str(k): str(v) for k, v in (connection.get("headers") or {}).items()})
    params.extend((str(k), str(v)) for k, v in (connection.get("query") or {}).items())


def bind(name: str, connection: dict[str, Any], target: Target) -> None:
    """Refuse a target the connection does not list in ``hosts`` (a connection without ``hosts`` lists none)."""
    hosts = connection.get("hosts")
    names = [str(h) for h in hosts] if isinstance(hosts, list) else []
    if not allowed(target.host, target.port, names):
        raise Refused(f"Connection '{name}' may not be sent to {target.host}:{target.port}: "
                      f"add it to hosts = [...] in [http.connections.{name}] of the --config file.", RUNTIME)


def _oauth_token(oauth: dict[str, Any], settings: HttpSettings) -> str:
    import httpx

    key = (str(oauth["token_url"]), str(oauth["client_id"]), str(oauth.get("scope", "")))
    with _lock:
        cached = _tokens.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    form = {"grant_type": "client_credentials", "client_id": key[1], "client_secret": str(oauth["client_secret"])}
    if key[2]:
        form["scope"] = key[2]
    response = httpx.post(key[0], data=form, timeout=settings.timeout)
    response.raise_for_status()
    answer = response.json()
    token = str(answer["access_token"])
    with _lock:
        _tokens[key] = (token, time.monotonic() + float(answer.get("expires_in", 300)) - 30)
    return token

"""Which Host and Origin headers the server answers: the defence against DNS rebinding and
cross-site writes.

A Host is served when its name (port aside) is a loopback name, the address the server is bound
to, or a configured name — each also with the ``sync-`` prefix SDKs put in front of the endpoint
for StartSyncExecution and TestState — or AWS's own endpoint name (``[sync-]states.<region>.amazonaws.com``,
for clients pointed here through a hosts file or a proxy: no attacker's page can have that origin). A write that carries an ``Origin`` must come from the
server's own origin (the console's pages send same-origin requests; SDKs and the CLI send none).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
#: Prefix the SDKs add to the endpoint's host name for some operations (StartSyncExecution, TestState).
SYNC_PREFIX = "sync-"
_PORT = re.compile(r":\d{1,5}")
_AWS_ENDPOINT = re.compile(r"(sync-)?states(-fips)?\.[a-z]{2}(-[a-z]+)+-\d{1,2}\.amazonaws\.com(\.cn)?")


def served_hosts(bound: str, configured: Iterable[str] = ()) -> frozenset[str]:
    """The Host names (without port, lower-case) a server bound to ``bound`` answers."""
    names = {*LOOPBACK_NAMES, *(name.lower().rstrip(".") for name in configured)}
    if not _wildcard(bound):
        names.add(_bracketed(bound.lower()))
    return frozenset(names | {SYNC_PREFIX + name for name in names})


def is_served(name: str, served: frozenset[str]) -> bool:
    """Whether a Host name (as :func:`host_name` gives it) is one of ``served`` or AWS's endpoint name."""
    return name in served or _AWS_ENDPOINT.fullmatch(name) is not None


def host_name(header: str) -> str | None:
    """The name of a Host header (``name[:port]``, ``[v6][:port]``), lower-case; None when malformed."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, port = header.partition("]")
        name += "]"
    else:
        name, _, port = header.partition(":")
        port = f":{port}" if port else ""
    if port and not _PORT.fullmatch(port):
        return None
    return name.rstrip(".") or None


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """Whether a browser's ``Origin`` header names the server reached at ``scheme://host``."""
    return origin.strip().lower() == f"{scheme}://{host.strip().lower()}"


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _wildcard(bound: str) -> bool:
    try:
        return ipaddress.ip_address(bound.strip("[]")).is_unspecified
    except ValueError:
        return False


def _bracketed(host: str) -> str:
    try:
        return f"[{host.strip('[]')}]" if ipaddress.ip_address(host.strip("[]")).version == 6 else host
    except ValueError:
        return host

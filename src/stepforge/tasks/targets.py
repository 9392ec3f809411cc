"""Where an HTTP Task may connect (the SSRF guard): resolve a name once, check every address, pin one.

A target's name is resolved with ``socket.getaddrinfo`` exactly once; every address it yields must be
global (``ipaddress.ip_address(a).is_global``) and not multicast, with IPv4-mapped, NAT64, 6to4 and
Teredo IPv6 addresses judged by the IPv4 address they carry (6to4 and Teredo are refused outright).
The request then goes to the first checked address, never to a second resolution, so a name that
rebinds between the check and the connection (DNS rebinding) reaches nothing new. The Host header and
the TLS SNI / certificate name stay the name in the URL. ``[http] allow`` (``host`` or ``host:port``)
lifts the address check for the hosts it names; the address is pinned all the same.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

SOCKET = "States.Http.Socket"
RUNTIME = "States.Runtime"

# Ranges Python 3.11's is_global lets through although they lead somewhere other than the internet.
_NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24",      # IETF protocol assignments (Python 3.11 calls it global)
    "2002::/16",         # 6to4: tunnels to any IPv4 address, loopback included
    "2001::/32",         # Teredo
))
_NAT64 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48"))


class Refused(Exception):
    """A request the task may not make; ``error`` is the task error and the message its cause."""

    def __init__(self, cause: str, error: str = SOCKET) -> None:
        super().__init__(cause)
        self.error = error


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL's ``host`` and ``port`` and the ``address`` to connect to."""

    scheme: str
    host: str
    port: int
    address: str

    @property
    def authority(self) -> str:
        """The Host header: the name in the URL, with its port when it is not the scheme's default."""
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def resolve(url: str, allow: list[str]) -> Target:
    """The one address ``url`` may be fetched from; :class:`Refused` for a non-HTTP URL, a name that does
    not resolve, or any resolved address that is not global and not allow-listed."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if parts.scheme not in ("http", "https") or not parts.hostname or not port:
        raise Refused(f"The parameter 'ApiEndpoint' must be an http(s) URL, not {url!r}.", RUNTIME)
    host = parts.hostname
    addresses = _addresses(host, port)
    if not allowed(host, port, allow):
        for address in addresses:
            if not is_public(address):
                raise Refused(f"Refused to call {host}:{port}: {address} is not a public address. "
                              f"Allow it with [http] allow = [\"{host}:{port}\"] in the --config file.")
    return Target(parts.scheme, host, port, addresses[0])


def allowed(host: str, port: int, names: list[str]) -> bool:
    """Whether ``names`` (``host`` or ``host:port`` entries) lists this host, case-insensitively."""
    wanted = {host.lower(), f"{host.lower()}:{port}", f"[{host.lower()}]:{port}"}
    return any(name.lower() in wanted for name in names)


def is_public(address: str) -> bool:
    """Whether an IP address (text, possibly with an IPv6 ``%zone``) is a global unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        if any(ip in net for net in _NAT64):
            return is_public(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if any(ip in net for net in _NOT_GLOBAL if net.version == ip.version):
        return False
    return ip.is_global and not ip.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"Cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"Cannot resolve {host}: no address")
    return addresses

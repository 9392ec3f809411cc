"""SigV4 verification of a request, as AWS's JSON services do it, and the errors AWS answers with.

:func:`verify` rebuilds the canonical request from what arrived (method, path, query, the headers the
client says it signed, the SHA-256 of the body actually received), derives the signing key from the
configured secret and compares signatures in constant time. It trusts nothing from the
``Authorization`` header until the signature matches: the region it returns comes from the verified
credential scope. Replays inside the time window are accepted, as AWS accepts them for these APIs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stepforge.service.errors import ApiError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "states"
#: How far X-Amz-Date may be from the server's clock, either way (AWS's JSON services: 5 minutes).
WINDOW = timedelta(minutes=5)
_STAMP = "%Y%m%dT%H%M%SZ"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_FIELD = re.compile(r"\s*(Credential|SignedHeaders|Signature)\s*=\s*([^,\s]*)\s*")


class MissingAuthenticationToken(ApiError):
    """No SigV4 ``Authorization`` header at all."""

    code, status = "MissingAuthenticationTokenException", 403


class IncompleteSignature(ApiError):
    """An ``Authorization`` header that is not a well-formed SigV4 one."""

    code, status = "IncompleteSignatureException", 400


class UnrecognizedClient(ApiError):
    """An access key id that is not configured."""

    code, status = "UnrecognizedClientException", 400


class InvalidSignature(ApiError):
    """A signature that does not match, is outside the time window or has a wrong scope."""

    code, status = "InvalidSignatureException", 400


@dataclass(frozen=True)
class SignedRequest:
    """What arrived, as the verifier needs it: header names lower-case, ``path``/``query`` as sent."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name]
        return ",".join(" ".join(v.split()) for v in values) if values else None


@dataclass(frozen=True)
class Identity:
    """A verified caller: its access key id and the region of its credential scope."""

    access_key: str
    region: str


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def verify(request: SignedRequest, secrets: Mapping[str, str], now: datetime,
           regions: frozenset[str] | None = None) -> Identity:
    """The caller of a request signed with one of ``secrets``; raises AWS's error otherwise.

    ``regions`` (when given) are the only regions a credential scope may name; otherwise any
    well-formed region name is accepted.
    """
    auth = _parse(request.header("authorization"))
    stamp = _amz_date(request)
    if auth.date != stamp[:8]:
        raise InvalidSignature(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                               f"from HTTP: '{auth.date}' != '{stamp[:8]}', from '{stamp}'.")
    if auth.service != SERVICE:
        raise InvalidSignature(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if not _REGION.fullmatch(auth.region) or (regions is not None and auth.region not in regions):
        raise InvalidSignature("Credential should be scoped to a valid region. ")
    secret = secrets.get(auth.access_key)
    if secret is None or request.header("x-amz-security-token"):
        # The configured keys are long-term keys: a session token names temporary credentials this
        # server never issued (AWS answers a long-term key sent with a token the same way).
        raise UnrecognizedClient("The security token included in the request is invalid.")
    _check_time(stamp, now)
    expected = signature(request, auth.signed_headers, secret, stamp, auth.region)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise InvalidSignature("The request signature we calculated does not match the signature you provided. "
                               "Check your AWS Secret Access Key and signing method. "
                               "Consult the service documentation for details.")
    return Identity(auth.access_key, auth.region)


def signature(request: SignedRequest, signed_headers: Sequence[str], secret: str, stamp: str, region: str) -> str:
    """The hex SigV4 signature of ``request`` over ``signed_headers`` at ``stamp`` (``YYYYMMDDTHHMMSSZ``)."""
    scope = f"{stamp[:8]}/{region}/{SERVICE}/aws4_request"
    canonical = canonical_request(request, signed_headers)
    to_sign = "\n".join((ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()))
    key = f"AWS4{secret}".encode()
    for part in (stamp[:8], region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def canonical_request(request: SignedRequest, signed_headers: Sequence[str]) -> str:
    """SigV4's canonical request; the payload hash is that of the body received, whatever a header claims."""
    headers = "".join(f"{name}:{request.header(name) or ''}\n" for name in signed_headers)
    return "\n".join((request.method.upper(), _canonical_path(request.path), _canonical_query(request.query),
                      headers, ";".join(signed_headers), hashlib.sha256(request.body).hexdigest()))


def _canonical_path(path: str) -> str:
    return urllib.parse.quote(path or "/", safe="/~")


def _canonical_query(query: str) -> str:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                    for k, v in sorted(pairs))


def _parse(header: str | None) -> _Authorization:
    if not header:
        raise MissingAuthenticationToken("Missing Authentication Token")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Authorization header requires '{ALGORITHM}' as its algorithm.")
    fields = {m.group(1): m.group(2) for m in (_FIELD.fullmatch(part) for part in rest.split(",")) if m}
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise IncompleteSignature(f"Authorization header requires '{missing[0]}' parameter. "
                                  f"Authorization={header[:200]}")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise IncompleteSignature(f"Credential must have exactly 5 slash-delimited elements, e.g. "
                                  f"keyid/date/region/service/term, got '{fields['Credential'][:200]}'")
    signed = tuple(fields["SignedHeaders"].split(";"))
    if "host" not in signed:
        raise InvalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    return _Authorization(scope[0], scope[1], scope[2], scope[3], signed, fields["Signature"])


def _amz_date(request: SignedRequest) -> str:
    stamp = request.header("x-amz-date")
    if stamp is None:
        raise IncompleteSignature("Authorization header requires existence of a 'X-Amz-Date' header.")
    try:
        datetime.strptime(stamp, _STAMP)
    except ValueError:
        raise IncompleteSignature(f"Date must be in ISO-8601 'basic format'. Got '{stamp[:40]}'.") from None
    return stamp


def _check_time(stamp: str, now: datetime) -> None:
    signed = datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC)
    now = now.astimezone(UTC).replace(microsecond=0)
    if signed < now - WINDOW:
        raise InvalidSignature(f"Signature expired: {stamp} is now earlier than {(now - WINDOW).strftime(_STAMP)} "
                               f"({now.strftime(_STAMP)} - {_minutes()} min.)")
    if signed > now + WINDOW:
        raise InvalidSignature(f"Signature not yet current: {stamp} is still later than "
                               f"{(now + WINDOW).strftime(_STAMP)} ({now.strftime(_STAMP)} + {_minutes()} min.)")


def _minutes() -> int:
    return int(WINDOW.total_seconds() // 60)

"""ARNs and names as AWS forms and checks them."""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass

from stepforge.service.errors import InvalidArn, InvalidName

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"

_NAME_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_ARN = re.compile(r"arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):([a-zA-Z]+):(.+)\Z")


@dataclass(frozen=True, slots=True)
class Arn:
    """A parsed Step Functions ARN: ``arn:aws:states:REGION:ACCOUNT:KIND:NAME[:EXTRA]``."""

    partition: str
    region: str
    account: str
    kind: str
    rest: str

    @property
    def name(self) -> str:
        return self.rest.split(":", 1)[0]


def parse(text: str, *kinds: str) -> Arn:
    """Parse an ARN of one of ``kinds`` or raise InvalidArn with AWS's message."""
    if not isinstance(text, str):
        raise InvalidArn("Invalid Arn: 'Resource type not valid in this context'")
    arn = _parsed(text)
    if arn is None:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {text}'")
    if kinds and arn.kind not in kinds:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {arn.kind}'")
    return arn


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> Arn | None:
    """The parts of an ARN, kept by text (machine ARNs are parsed at every start; an :class:`Arn` is
    immutable)."""
    match = _ARN.match(text)
    return None if match is None else Arn(*match.groups())


_IDS = random.Random()  # seeded from the OS once; ids are unique, not secret (task tokens use ``secrets``)


#: The bits of a version 4 (RFC 4122 variant) UUID: those cleared, and those then set.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)


def random_id() -> str:
    """A random (version 4) UUID as text: execution names and ids, request ids. Not a secret: drawn
    from a seeded generator, without the system call of ``uuid.uuid4`` on every request (nor the
    ``uuid.UUID`` object: formatted directly, half the time)."""
    h = "%032x" % (_IDS.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def build(region: str, account: str, kind: str, *parts: str) -> str:
    return f"arn:aws:states:{region}:{account}:{kind}:" + ":".join(parts)


def check_name(name: object, what: str = "name") -> str:
    """Names of state machines, executions and activities: 1-80 characters, no ARN punctuation."""
    if not isinstance(name, str) or not 1 <= len(name) <= 80 or _NAME_FORBIDDEN.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    return name

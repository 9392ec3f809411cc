"""Console sessions: a signed cookie naming the user, and the CSRF token that goes with it.

The cookie is ``base64url(JSON) + "." + HMAC-SHA256`` under the deployment's session key, so any
node holding the key can check it without a session table. It names the user, a random session id,
its expiry and a fingerprint of the user's password hash: changing a password ends its sessions,
and a user removed from the configuration has none. The role is looked up on every request, so a
changed role takes effect at once. Logging out revokes the session id on this node until it expires.

Every write made with a session must carry :data:`CSRF_HEADER` with :meth:`Sessions.csrf` of it: a
page of another site can make the browser send the cookie, never read the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass

from stepforge.api.users import User

COOKIE = "stepforge_session"
CSRF_HEADER = "x-stepforge-csrf"
DEFAULT_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    user: User
    sid: str
    expires: float


class Sessions:
    """Issues and checks session cookies for ``users`` (by name) under ``key``."""

    def __init__(self, key: bytes, users: dict[str, User], seconds: float = DEFAULT_SECONDS) -> None:
        self._key = hmac.new(key, b"stepforge console sessions", hashlib.sha256).digest()
        self.users, self.seconds = users, seconds
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, user: User, now: float) -> tuple[str, Session]:
        """A new session for ``user``: the cookie's value and the session."""
        session = Session(user, secrets.token_urlsafe(16), now + self.seconds)
        claims = {"u": user.name, "s": session.sid, "e": int(session.expires), "p": _fingerprint(user)}
        payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode()
        return f"{payload}.{self._sign(payload)}", session

    def read(self, cookie: str | None, now: float) -> Session | None:
        """The session of a cookie value, or None when it is missing, forged, expired, revoked, or its
        user is gone or has a new password."""
        if not cookie or "." not in cookie or len(cookie) > 4096:
            return None
        payload, signature = cookie.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(payload))
            name, sid, expires, fingerprint = claims["u"], claims["s"], float(claims["e"]), claims["p"]
        except (ValueError, KeyError, TypeError):
            return None
        user = self.users.get(name)
        if user is None or expires <= now or not hmac.compare_digest(str(fingerprint), _fingerprint(user)):
            return None
        with self._lock:
            if sid in self._revoked:
                return None
        return Session(user, str(sid), expires)

    def revoke(self, session: Session, now: float) -> None:
        """End ``session`` on this node (the cookie is cleared too; other nodes honour it until expiry)."""
        with self._lock:
            self._revoked = {sid: until for sid, until in self._revoked.items() if until > now}
            self._revoked[session.sid] = session.expires

    def csrf(self, session: Session) -> str:
        """The CSRF token of ``session``."""
        return self._sign(f"csrf:{session.sid}")

    def csrf_matches(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf(session))

    def _sign(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def cookie_header(value: str, *, max_age: int, secure: bool) -> str:
    """A ``Set-Cookie`` value for the session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS."""
    flags = f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"
    return flags + ("; Secure" if secure else "")

"""Human approval: signed, single-use approve/reject links for a callback task's token.

AWS's manual-approval pattern, served by stepforge itself: a Task with ``.waitForTaskToken`` passes
``$$.Task.Token`` to a function that sends the approver two links::

    import stepforge

    @stepforge.function("ask-approval")
    def ask(event, context):
        links = stepforge.approval_links(event["token"])   # {"approve": url, "reject": url}
        send_mail(event["approver"], links)

Opening a link shows a confirmation page (so that mail scanners that prefetch links decide
nothing); confirming calls SendTaskSuccess (``{"Status": "Approved", ...}``) or SendTaskFailure
(error ``Rejected``) with the token. A link is single-use because the token closes with its task.

This module makes and checks links; the pages they open are served by :mod:`stepforge.console.approval`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import urllib.parse
from pathlib import Path

ACTIONS = ("approve", "reject")
KEY_NAME = "approval.key"
KEY_BYTES = 32


class Signer:
    """Makes and checks the links of one deployment."""

    def __init__(self, secret: bytes, base_url: str) -> None:
        self.secret = secret
        self.base_url = base_url.rstrip("/")

    def signature(self, action: str, token: str) -> str:
        digest = hmac.new(self.secret, f"{action}\n{token}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def verify(self, action: str, token: str, signature: str) -> bool:
        return action in ACTIONS and hmac.compare_digest(self.signature(action, token), signature)

    def links(self, token: str) -> dict[str, str]:
        return {action: f"{self.base_url}/approval/{action}?" + urllib.parse.urlencode(
            {"token": token, "sig": self.signature(action, token)}) for action in ACTIONS}


_signer = Signer(secrets.token_bytes(32), "http://127.0.0.1:8083")


def configure(secret: bytes, base_url: str) -> Signer:
    """Set the deployment's signer (the server does this at start-up)."""
    global _signer
    _signer = Signer(secret, base_url)
    return _signer


def approval_links(token: str) -> dict[str, str]:
    """The approve and reject links of a callback task's token: ``{"approve": url, "reject": url}``."""
    return _signer.links(token)


def verify(action: str, token: str, signature: str) -> bool:
    """Is ``signature`` the deployment's signature of ``action`` on ``token``?"""
    return _signer.verify(action, token, signature)


class KeyFileError(Exception):
    """The key file exists but holds no usable key (empty or short: a full disk, a bad copy)."""


def load_secret(data_dir: Path | None) -> bytes:
    """The deployment's signing key, kept in ``data_dir/approval.key`` so links outlive restarts.

    A missing file is made with a new key, written atomically (a temporary file, fsync, rename),
    so a crash or a full disk never leaves a partial key. A file shorter than ``KEY_BYTES`` raises
    :class:`KeyFileError` rather than being replaced: a new key would void every link sent.
    """
    if data_dir is None:
        return secrets.token_bytes(KEY_BYTES)
    path = data_dir / KEY_NAME
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        return _write_new_key(path)
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"{path} holds {len(key)} bytes, not a key of {KEY_BYTES}: restore it from a backup, "
                           "or delete it to make a new key (approval links already sent stop working)")
    return key


def _write_new_key(path: Path) -> bytes:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, key)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)
    return key


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

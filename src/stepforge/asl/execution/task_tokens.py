"""Task tokens: the secret a callback or activity task is answered with.

A token is 66 URL-safe characters that begin with a letter (``AQ`` then 48 random bytes in URL-safe
base64, AWS's own tokens begin ``AQ`` too): one that began with ``-`` would be read as an option by
command lines such as ``aws stepfunctions send-task-success --task-token TOKEN``.
"""

from __future__ import annotations

import secrets


def new_task_token() -> str:
    """A fresh task token: unguessable (384 random bits) and safe to pass as a command-line argument."""
    return "AQ" + secrets.token_urlsafe(48)

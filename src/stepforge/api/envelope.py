"""The AWS JSON 1.0 envelope of an answer: its JSON body, status and error type, sent as one ASGI response.

Bodies are encoded by orjson, whose text means what ``json.dumps`` writes for every payload the API
answers (execution input and output are JSON *strings* inside it); what orjson refuses (an integer
past 64 bits, a key that is not a string) is encoded by json as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import Send

from stepforge.serial_ids import Serial
from stepforge.service.errors import ApiError

CONTENT_TYPE = b"application/x-amz-json-1.0"
#: The ``__type`` namespaces of AWS's error bodies: the service's, and its front end's (auth, throttling).
STATES = "com.amazonaws.states"
CORAL = "com.amazon.coral.service"
#: The ``x-amzn-RequestId`` of every answer (unique; SDKs show it in errors and ResponseMetadata).
REQUEST_IDS = Serial()


@dataclass(slots=True)
class Answer:
    """An API answer: ``status``, the JSON ``body`` of ``payload`` (kept for the audit trail, which
    then need not parse the body) and, for an error, its ``error_code`` (``x-amzn-ErrorType``)."""

    status: int
    body: bytes
    payload: Any = None
    error_code: str | None = None


def encode(payload: Any) -> bytes:
    """``payload``'s JSON text, UTF-8 (as ``json.dumps(payload, ensure_ascii=False)`` means it)."""
    try:
        return orjson.dumps(payload)
    except TypeError:
        return json.dumps(payload, ensure_ascii=False).encode()


def ok(payload: Any) -> Answer:
    return Answer(200, encode(payload), payload)


def error(exc: ApiError, namespace: str = STATES) -> Answer:
    """AWS's answer to an error: ``{"__type": "<namespace>#<code>", "message"}`` with its status."""
    payload = {"__type": f"{namespace}#{exc.code}", "message": exc.message}
    return Answer(exc.status, encode(payload), payload, exc.code)


def internal_failure() -> Answer:
    """The answer to an error nobody expected (never a stack trace to the client)."""
    payload = {"__type": "InternalFailure", "message": "Internal failure"}
    return Answer(500, encode(payload), payload)


async def send(answer: Answer, send: Send) -> None:
    """Send ``answer`` as the response (its head, then its whole body)."""
    headers = [(b"content-type", CONTENT_TYPE), (b"content-length", str(len(answer.body)).encode()),
               (b"x-amzn-requestid", REQUEST_IDS.next().encode())]
    if answer.error_code is not None:
        headers.append((b"x-amzn-errortype", answer.error_code.encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})

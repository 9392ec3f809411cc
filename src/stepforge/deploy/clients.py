"""The API a deployment talks to: boto3's ``stepfunctions``, ``scheduler`` and ``events`` clients at one endpoint.

Every call goes through :meth:`Api.call`, which turns the client's errors into a
:class:`DeployError` naming the operation, AWS's error code and message. A server that does not
serve a service at all (no EventBridge Scheduler, no EventBridge) is told apart from a refused
call, so the error says what the template needs that the server lacks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from stepforge.deploy.errors import DeployError

DEFAULT_ENDPOINT = "http://127.0.0.1:8083"
DEFAULT_REGION = "us-east-1"
#: Answers of a server that does not serve an operation (or a whole service) at all.
NOT_SERVED = frozenset({"UnknownOperationException", "UnknownOperation", "404", "NotFound", "405",
                        "InvalidAction", "UnrecognizedClientException"})
WEBHOOK_TARGET = "StepForgeWebhooks."
SERVICE_NAMES = {"stepfunctions": "Step Functions", "scheduler": "EventBridge Scheduler", "events": "EventBridge"}


def default_endpoint() -> str:
    """``AWS_ENDPOINT_URL_SFN`` if set, else stepforge's default address."""
    return os.environ.get("AWS_ENDPOINT_URL_SFN") or DEFAULT_ENDPOINT


def default_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


class ServerError(DeployError):
    """The server could not be reached, or refused a call (the template itself may be fine)."""


class NotServed(ServerError):
    """The server does not serve the service (or operation) a resource needs."""


class CallError(ServerError):
    """A call the server refused: ``code`` is AWS's error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class Api:
    """boto3 clients for ``endpoint`` signing for ``region``, created when first used.

    Credentials come from the usual environment variables; a server without keys accepts any.
    ``writes`` counts the calls that change something (what an unchanged re-deploy must not make).
    """

    def __init__(self, endpoint: str, region: str) -> None:
        self.endpoint, self.region = endpoint, region
        self.writes = 0
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = _make_client(service, self.endpoint, self.region)
        return self._clients[service]

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """``operation`` (boto3's snake_case name) on ``service``; its response, or DeployError."""
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        if not operation.startswith(("describe_", "list_", "get_", "validate_", "test_")):
            self.writes += 1
        try:
            response: dict[str, Any] = getattr(self.client(service), operation)(**params)
        except ClientError as exc:
            raise client_error(service, operation, self.endpoint, exc) from None
        except BotoCoreError as exc:
            raise ServerError(f"{_pascal(operation)} at {self.endpoint}: {exc}") from None
        response.pop("ResponseMetadata", None)
        return response

    def find(self, service: str, operation: str, missing: tuple[str, ...], **params: Any) -> dict[str, Any] | None:
        """``call``, or None when the server answers with one of the ``missing`` error codes."""
        try:
            return self.call(service, operation, **params)
        except CallError as exc:
            if exc.code in missing:
                return None
            raise

    def webhook(self, operation: str, missing: tuple[str, ...], **params: Any) -> dict[str, Any] | None:
        """A call of stepforge's webhook API (``X-Amz-Target: StepForgeWebhooks.<operation>``, SigV4 as
        for Step Functions), which no boto3 model describes; None when answered with a ``missing`` code."""
        if not operation.startswith(("Get", "List")):
            self.writes += 1
        status, answer = self._signed_post(f"{WEBHOOK_TARGET}{operation}", json.dumps(params))
        if status < 300:
            return answer
        code = str(answer.get("__type", status)).rpartition("#")[2]
        if code in missing:
            return None
        if code in NOT_SERVED:
            raise NotServed(f"the server at {self.endpoint} does not serve webhooks ({operation} answered {code}): "
                            "SAM Api events need a stepforge server with webhooks")
        raise CallError(f"{operation}: {code}: {answer.get('message') or answer.get('Message') or ''}", code)

    def _signed_post(self, target: str, body: str) -> tuple[int, dict[str, Any]]:
        """POST a JSON 1.0 call to ``target``, signed with SigV4 for ``states``: its status and JSON answer."""
        import httpx
        from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
        from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
        from botocore.credentials import Credentials  # type: ignore[import-untyped]

        request = AWSRequest("POST", self.endpoint.rstrip("/") + "/", data=body,
                             headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target})
        SigV4Auth(Credentials(*_credentials()), "states", self.region).add_auth(request)
        try:
            response = httpx.post(request.url, content=body, headers=dict(request.headers.items()), timeout=30)
        except httpx.HTTPError as exc:
            raise ServerError(f"{target} at {self.endpoint}: {exc}") from None
        return response.status_code, _json(response.text)


def client_error(service: str, operation: str, endpoint: str, exc: Any) -> DeployError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    message = str(error.get("Message") or "")
    if code in NOT_SERVED and service != "stepfunctions":
        return NotServed(f"the server at {endpoint} does not serve the {SERVICE_NAMES[service]} API "
                         f"({_pascal(operation)} answered {code}{': ' + message if message else ''})")
    return CallError(f"{_pascal(operation)}: {code}: {message}", code)


def _pascal(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _credentials() -> tuple[str, str, str | None]:
    """The environment's credentials; a server without keys accepts these placeholders."""
    return (os.environ.get("AWS_ACCESS_KEY_ID", "stepforge"), os.environ.get("AWS_SECRET_ACCESS_KEY", "stepforge"),
            os.environ.get("AWS_SESSION_TOKEN"))


def _make_client(service: str, endpoint: str, region: str) -> Any:
    try:
        import boto3  # type: ignore[import-untyped]
        from botocore.config import Config  # type: ignore[import-untyped]
    except ImportError:
        raise DeployError("stepforge deploy calls the API with boto3: pip install 'stepforge[aws]'") from None
    make: Callable[..., Any] = boto3.client
    key, secret, token = _credentials()
    return make(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                aws_secret_access_key=secret, aws_session_token=token,
                config=Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=30))

"""boto3 clients for the AWS pass-through, one per (service, endpoint, region), shared by threads.

Client-side parameter validation is off so that a bad request reaches the service and fails with
the service's own error, as it does on AWS (Step Functions validates nothing for the service).
"""

from __future__ import annotations

import threading
from typing import Any

_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()

#: Seconds a call may take: a Lambda function runs for up to 15 minutes.
READ_TIMEOUT = 900
#: Tries per call (botocore's standard mode counts the first): a task's Retry does the retrying.
MAX_ATTEMPTS = 1


def client(service: str, endpoint_url: str, region: str) -> Any:
    """The boto3 client of ``service`` (a botocore name: "sqs", "stepfunctions", ...) at ``endpoint_url``."""
    key = (service, endpoint_url, region)
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _new(service, endpoint_url, region)
        return found


def _new(service: str, endpoint_url: str, region: str) -> Any:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    config = Config(parameter_validation=False, retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
                    connect_timeout=10, read_timeout=READ_TIMEOUT, max_pool_connections=64,
                    s3={"addressing_style": "path"}, request_checksum_calculation="when_required",
                    response_checksum_validation="when_required")
    session = boto3.session.Session(aws_access_key_id="stepforge", aws_secret_access_key="stepforge",
                                    region_name=region)
    return session.client(service, endpoint_url=endpoint_url, config=config)

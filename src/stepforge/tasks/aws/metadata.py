"""``SdkHttpMetadata`` and ``SdkResponseMetadata``: what the optimized integrations add to a result.

Step Functions' optimized integrations (Lambda, SQS, SNS, DynamoDB, Step Functions) return the
service's response plus the HTTP status and headers of the call, as the Java SDK reports them.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

#: Optimized integrations whose results carry the HTTP metadata (EventBridge's do not).
WITH_METADATA = frozenset({"lambda", "sqs", "sns", "dynamodb", "states"})


def from_response(meta: dict[str, Any]) -> dict[str, Any]:
    """The two metadata members, from a boto3 response's ``ResponseMetadata``."""
    headers = {str(k): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    return http_metadata(headers, int(meta.get("HTTPStatusCode") or 200), str(meta.get("RequestId") or ""))


def http_metadata(headers: dict[str, str], status: int, request_id: str) -> dict[str, Any]:
    """The metadata members for a response with these headers, status and request id."""
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                            "HttpStatusCode": status},
        "SdkResponseMetadata": {"RequestId": request_id or headers.get("x-amzn-requestid", "")},
    }


def synthesized(body: dict[str, Any]) -> dict[str, Any]:
    """The metadata members of a response this server makes itself (e.g. a child's StartExecution)."""
    request_id = str(uuid.uuid4())
    headers = {"Content-Type": "application/x-amz-json-1.0", "Content-Length": str(len(json.dumps(body))),
               "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), "x-amzn-RequestId": request_id}
    return http_metadata(headers, 200, request_id)

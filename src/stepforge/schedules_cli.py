"""``stepforge schedules list|create|delete``: EventBridge Scheduler's API of a server, from the shell.

It calls the server at ``--endpoint`` (default: ``AWS_ENDPOINT_URL_SCHEDULER``, else
``AWS_ENDPOINT_URL``, else ``http://127.0.0.1:8083``), signing with SigV4 for ``scheduler`` when
``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` are set (as a server with ``[auth.keys]`` requires).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEFAULT_ENDPOINT = "http://127.0.0.1:8083"
ROLE_ARN = "arn:aws:iam::000000000000:role/stepforge-scheduler"


class CallFailed(Exception):
    """The server refused a call; the message is its error code and message."""


def add_parser(commands: Any) -> None:
    """Register ``schedules`` and its subcommands on the CLI's subparsers."""
    schedules = commands.add_parser("schedules", help="list, create or delete EventBridge Scheduler schedules")
    actions = schedules.add_subparsers(dest="schedules_command", required=True)
    listing = actions.add_parser("list", help="the schedules, with their state and target")
    create = actions.add_parser("create", help="create a schedule that starts a state machine")
    create.add_argument("name")
    create.add_argument("--expression", required=True, help="rate(...), cron(...) or at(...)")
    create.add_argument("--target", required=True, help="the state machine (or version/alias) ARN to start")
    create.add_argument("--input", default=None, help="the execution input (JSON; <aws.scheduler.*> allowed)")
    create.add_argument("--timezone", default=None, help="an IANA time zone for cron() and at() (default UTC)")
    create.add_argument("--role-arn", default=ROLE_ARN)
    create.add_argument("--disabled", action="store_true", help="create it DISABLED")
    delete = actions.add_parser("delete", help="delete a schedule")
    delete.add_argument("name")
    for action in (listing, create, delete):
        action.add_argument("--group", default=None, help="the schedule group (default: default)")
        action.add_argument("--endpoint", default=None, help="the server's URL")
        action.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))


def run(args: argparse.Namespace) -> int:
    """Run the subcommand; 0 on success, 1 (with the server's error on stderr) on a refused call."""
    endpoint = args.endpoint or os.environ.get("AWS_ENDPOINT_URL_SCHEDULER") or os.environ.get(
        "AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    try:
        if args.schedules_command == "list":
            _list(endpoint, args)
        elif args.schedules_command == "create":
            _create(endpoint, args)
        else:
            query = {"groupName": args.group} if args.group else {}
            call(endpoint, args.region, "DELETE", f"/schedules/{args.name}", query)
            print(f"deleted {args.name}")
    except (CallFailed, OSError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 1
    return 0


def _list(endpoint: str, args: argparse.Namespace) -> None:
    query = {"ScheduleGroup": args.group} if args.group else {}
    rows = []
    while True:
        page = call(endpoint, args.region, "GET", "/schedules", query)
        rows += page["Schedules"]
        if not page.get("NextToken"):
            break
        query = {**query, "NextToken": page["NextToken"]}
    for row in rows:
        print(f"{row['GroupName']}/{row['Name']}\t{row['State']}\t{row['Target']['Arn']}")
    if not rows:
        print("no schedules", file=sys.stderr)


def _create(endpoint: str, args: argparse.Namespace) -> None:
    target: dict[str, Any] = {"Arn": args.target, "RoleArn": args.role_arn}
    if args.input is not None:
        target["Input"] = args.input
    body: dict[str, Any] = {"ScheduleExpression": args.expression, "FlexibleTimeWindow": {"Mode": "OFF"},
                            "Target": target, "State": "DISABLED" if args.disabled else "ENABLED"}
    for key, value in (("GroupName", args.group), ("ScheduleExpressionTimezone", args.timezone)):
        if value:
            body[key] = value
    print(call(endpoint, args.region, "POST", f"/schedules/{args.name}", {}, body)["ScheduleArn"])


def call(endpoint: str, region: str, method: str, path: str, query: dict[str, str],
         body: dict[str, Any] | None = None) -> Any:
    """One Scheduler call; its JSON answer, or :class:`CallFailed` with the server's error."""
    data = b"" if body is None else json.dumps(body).encode()
    path = urllib.parse.quote(path, safe="/")
    text = urllib.parse.urlencode(sorted(query.items()))
    headers = _signed(endpoint, region, method, path, text, data)
    request = urllib.request.Request(f"{endpoint.rstrip('/')}{path}{'?' + text if text else ''}",
                                     data=data if body is not None else None, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as exc:
        error = json.loads(exc.read() or b"{}")
        raise CallFailed(f"{exc.headers.get('x-amzn-ErrorType', exc.code)}: "
                         f"{error.get('Message') or error.get('message')}") from None


def _signed(endpoint: str, region: str, method: str, path: str, query: str, data: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return headers
    from stepforge.api.auth import ALGORITHM, SignedRequest, signature

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers.update({"Host": urllib.parse.urlsplit(endpoint).netloc, "X-Amz-Date": stamp})
    names = ["content-type", "host", "x-amz-date"]
    request = SignedRequest(method, path, query, [(k.lower(), v) for k, v in headers.items()], data)
    signed = signature(request, names, secret, stamp, region, "scheduler")
    headers["Authorization"] = (f"{ALGORITHM} Credential={key}/{stamp[:8]}/{region}/scheduler/aws4_request, "
                                f"SignedHeaders={';'.join(names)}, Signature={signed}")
    return headers

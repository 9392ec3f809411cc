"""The task side of the command line: ``serve --functions/--config`` and ``stepforge worker``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType

from stepforge.tasks import approval
from stepforge.tasks.config import ConfigError, TaskConfig, load


def _importable_cwd() -> None:
    """Modules named on the command line are found in the current directory, as with ``python -m``."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())


def task_config(args: argparse.Namespace) -> TaskConfig | None:
    """The TaskConfig of ``serve``'s options, or None (after printing why) when it cannot be used: a bad
    config file, or an unusable approval key file."""
    _importable_cwd()
    config = TaskConfig(approval_base_url=f"http://{args.host}:{args.port}")
    try:
        config = load(args.config, args.functions, config)
    except ConfigError as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return None
    if not config.approval_secret:
        try:
            config.approval_secret = approval.load_secret(args.data_dir)
        except approval.KeyFileError as exc:
            print(f"stepforge: {exc}", file=sys.stderr)
            return None
    if len(config.functions):
        print(f"functions: {', '.join(sorted(f.name for f in config.functions))}", flush=True)
    return config


def run_worker(args: argparse.Namespace) -> int:
    """``stepforge worker``: poll the activities of ``--activities`` modules until SIGTERM/SIGINT."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    from stepforge.tasks.worker import Worker
    from stepforge.tasks.worker import load as load_activities

    _importable_cwd()
    try:
        activities = load_activities(args.activities)
    except (ImportError, AttributeError) as exc:
        print(f"stepforge: {exc}", file=sys.stderr)
        return 2
    if not activities:
        print("stepforge: no @stepforge.activity handlers in " + ", ".join(args.activities), file=sys.stderr)
        return 2
    client = boto3.client("stepfunctions", endpoint_url=args.endpoint, region_name=args.region,
                          aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "stepforge"),
                          aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "stepforge"),
                          config=Config(read_timeout=70, retries={"max_attempts": 2},
                                        max_pool_connections=max(10, args.concurrency * len(activities) + 4)))
    worker = Worker(client, activities, concurrency=args.concurrency, worker_name=args.name)

    def on_signal(number: int, frame: FrameType | None) -> None:
        if worker.stopping.is_set():
            os._exit(1)
        print("stepforge worker: stopping once the polls in flight end (within 60 s; a task they bring is run) "
              "and the tasks in hand finish (signal again to exit now)", flush=True)
        worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"stepforge worker polling {', '.join(a.name for a in activities)} at {args.endpoint}", flush=True)
    worker.run()
    return 0

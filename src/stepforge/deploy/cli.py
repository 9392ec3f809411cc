"""``stepforge deploy TEMPLATE``: show the change set of a CloudFormation/SAM template, then apply it."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from stepforge.deploy import parameters, plan
from stepforge.deploy.clients import Api, ServerError, default_endpoint, default_region
from stepforge.deploy.errors import DeployError
from stepforge.deploy.report import redacted, show_changes, show_outputs, summary
from stepforge.deploy.stack import Stack, check_stack_name
from stepforge.deploy.template import load


def add_parser(commands: Any) -> None:
    """Register ``deploy`` on the ``stepforge`` command's subparsers."""
    deploy = commands.add_parser("deploy", help="create or update the state machines, activities, versions, "
                                                "aliases, schedules and rules of a CloudFormation/SAM template")
    deploy.add_argument("template", type=Path, help="the template (YAML or JSON)")
    deploy.add_argument("--parameter-overrides", nargs="+", default=[], metavar="KEY=VALUE",
                        help="template parameter values (as `aws cloudformation deploy`)")
    deploy.add_argument("--stack-name", default=None,
                        help="names the resources the template does not name: STACK-LogicalId "
                             "(default: the template file's name)")
    deploy.add_argument("--dry-run", action="store_true", help="show the change set and apply nothing")
    deploy.add_argument("--endpoint", default=None,
                        help="the server's URL (default: $AWS_ENDPOINT_URL_SFN, else http://127.0.0.1:8083)")
    deploy.add_argument("--ignore-type", action="append", default=[], metavar="TYPE",
                        help="leave resources of this type alone (e.g. AWS::IAM::Role, AWS::Lambda::Function) "
                             "instead of refusing the template; repeatable")
    deploy.add_argument("--region", default=None, help="the region to sign for (default: $AWS_REGION, "
                                                      "$AWS_DEFAULT_REGION, else us-east-1)")


def run(args: argparse.Namespace) -> int:
    """Exit 0 when deployed (or nothing to do); 1 when the server cannot be reached, refused a call or
    lacks an API the template needs; 2 when the template or the arguments cannot be deployed.
    Nothing is applied unless the whole change set could be planned."""
    console = Console(highlight=False)
    try:
        template = load(args.template)
        values = parameters.resolve(template.parameters, parameters.parse_overrides(args.parameter_overrides))
        plan.check_types(template, frozenset(args.ignore_type))
        api = Api(args.endpoint or default_endpoint(), args.region or default_region())
        stack = Stack(_stack_name(args), api.region, plan.discover_account(api))
        deployment = plan.Deployment(template, stack, values, frozenset(args.ignore_type))
        previewed = plan.preview(deployment, api)
    except (DeployError, ValueError) as exc:
        _error(exc)
        return 1 if isinstance(exc, ServerError) else 2
    secrets = parameters.secrets(template.parameters, values)
    show_changes(console, redacted(previewed.changes, secrets), f"Change set for stack {stack.name} at {api.endpoint}")
    if args.dry_run:
        console.print("dry run: nothing applied")
        show_outputs(console, previewed.outputs, secrets)
        return 0
    if all(change.action in ("unchanged", "ignored") for change in previewed.changes):
        console.print("nothing to deploy")
        show_outputs(console, previewed.outputs, secrets)
        return 0
    return _apply(console, deployment, api, secrets)


def _apply(console: Console, deployment: plan.Deployment, api: Api, secrets: list[str]) -> int:
    made = []

    def done(change: Any) -> None:
        if change.action in ("create", "update"):
            made.append(change)
            console.print(f"[{'green' if change.action == 'create' else 'yellow'}]{change.action}d[/] "
                          f"{change.logical_id} ({change.name})")

    try:
        outcome = plan.apply(deployment, api, done)
    except DeployError as exc:
        _error(exc)
        console.print(f"applied before the failure: {summary(made)}")
        return 1
    console.print(f"deployed: {summary(outcome.changes)}")
    show_outputs(console, outcome.outputs, secrets)
    return 0


def _error(exc: Exception) -> None:
    Console(stderr=True, highlight=False).print(f"[red]stepforge deploy:[/] {escape(str(exc))}")


def _stack_name(args: argparse.Namespace) -> str:
    if args.stack_name:
        return check_stack_name(args.stack_name)
    stem = re.sub(r"[^A-Za-z0-9-]+", "-", args.template.name.split(".")[0]).strip("-")
    return check_stack_name(stem if stem[:1].isalpha() else f"stack-{stem}")

"""Resources of the types named with ``--ignore-type``: deployed by nothing, shown as ignored.

A template's state machines often refer to its IAM roles, Lambda functions and log groups. Their
``Ref`` is their physical name and, for the types below, ``Fn::GetAtt ... Arn`` the ARN AWS would
give them, so a ``RoleArn: !GetAtt Role.Arn`` or a ``Resource: !GetAtt Resize.Arn`` still resolves
(a Lambda function named like a ``stepforge serve --functions`` handler is that handler).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stepforge.deploy.changes import Change, Planned, unchanged
from stepforge.deploy.clients import Api
from stepforge.deploy.intrinsics import Resolver
from stepforge.deploy.properties import string
from stepforge.deploy.stack import Stack

ArnOf = Callable[[Stack, str], str]

#: Per type: the property naming the resource, and its ARN from that name.
KNOWN: dict[str, tuple[str, ArnOf]] = {
    "AWS::IAM::Role": ("RoleName", lambda s, name: f"arn:{s.partition}:iam::{s.account}:role/{name}"),
    "AWS::Lambda::Function": ("FunctionName",
                              lambda s, name: f"arn:{s.partition}:lambda:{s.region}:{s.account}:function:{name}"),
    "AWS::Serverless::Function": ("FunctionName",
                                  lambda s, name: f"arn:{s.partition}:lambda:{s.region}:{s.account}:function:{name}"),
    "AWS::Logs::LogGroup": ("LogGroupName",
                            lambda s, name: f"arn:{s.partition}:logs:{s.region}:{s.account}:log-group:{name}:*"),
}


@dataclass(frozen=True)
class Ignored:
    """A resource left alone, with the attributes the template may refer to."""

    logical_id: str
    type: str
    name: str
    attributes: dict[str, Any]

    def plan(self, api: Api) -> Planned:
        note = ("ignored (--ignore-type): nothing is deployed for it",)
        return unchanged(Change(self.logical_id, self.type, self.name, "ignored", note), self.attributes)


def ignored(logical_id: str, resource: dict[str, Any], stack: Stack, resolver: Resolver) -> Ignored:
    """The ignored unit of a resource: named by its name property (resolved alone), else by the stack."""
    kind = str(resource["Type"])
    key, arn_of = KNOWN.get(kind, ("", None))
    given = (resource.get("Properties") or {}).get(key) if key else None
    where = f"Resources/{logical_id}/Properties/{key}"
    name = stack.physical_name(logical_id, 64) if given is None else string(resolver.resolve(given, where), where)
    attributes: dict[str, Any] = {"Ref": name}
    if arn_of is not None:
        attributes["Arn"] = arn_of(stack, name)
    return Ignored(logical_id, kind, name, attributes)

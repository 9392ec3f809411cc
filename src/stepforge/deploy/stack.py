"""A deployment's identity: the stack name, region and account; stable physical names and ARNs from them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]*\Z")


@dataclass(frozen=True)
class Stack:
    """Where a template is deployed. ``account`` is the server's (read from the ARNs it lists)."""

    name: str
    region: str
    account: str
    partition: str = "aws"

    def physical_name(self, logical_id: str, limit: int = 80, suffix: str = "") -> str:
        """``{stack}-{logical id}{suffix}``, the same on every deployment; shortened with a hash past ``limit``."""
        name = f"{self.name}-{logical_id}{suffix}"
        if len(name) <= limit:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:10]
        return f"{name[: limit - 11]}-{digest}"

    def states_arn(self, kind: str, name: str) -> str:
        return f"arn:{self.partition}:states:{self.region}:{self.account}:{kind}:{name}"

    def role_arn(self, name: str) -> str:
        """The role ARN given to a machine whose template names none (SAM generates one from Policies)."""
        return f"arn:{self.partition}:iam::{self.account}:role/{name[:64]}"

    def pseudo(self) -> dict[str, Any]:
        """CloudFormation's pseudo parameters for this stack."""
        return {
            "AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::StackName": self.name,
            "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.name}/"
                            + hashlib.sha256(self.name.encode()).hexdigest()[:32],
            "AWS::Partition": self.partition, "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": [],
        }


def check_stack_name(name: str) -> str:
    """CloudFormation's rule for stack names: a letter, then letters, digits and hyphens, at most 128."""
    if not _NAME.match(name) or len(name) > 128:
        raise ValueError(f"invalid stack name {name!r}: a letter, then letters, digits and hyphens (at most 128)")
    return name

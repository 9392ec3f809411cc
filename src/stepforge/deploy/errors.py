"""The one error of ``stepforge deploy``: what is wrong, and where in the template."""

from __future__ import annotations


class DeployError(Exception):
    """A template that cannot be deployed, or a call the server refused.

    ``path`` is the template location of the offending value as CloudFormation names it
    (``Resources/Flow/Properties/Definition``), empty when the problem is not in the template.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message = message
        self.path = path

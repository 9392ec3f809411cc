"""WARNINGs about Task resources this server cannot reach with its configuration (issue 12, item 2b).

The validator is pure: what the server can reach is a fact given to it, as a callable ``reachable``
that the service layer (or ``stepforge validate --config``) builds from the task configuration.
Only static resources are judged; a resource chosen at run time (a path or a JSONata expression)
is not. Such a task is no error -- it fails at run time as an ordinary, catchable task failure --
so each finding is a WARNING with the resource's pointer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from stepforge.asl.validation.fields import WARNING, Diagnostic, at_key, is_object

Reachable = Callable[[str], bool]
UNREACHABLE: Final = "UNREACHABLE_RESOURCE"


def unreachable_resources(document: Any, reachable: Reachable) -> list[Diagnostic]:
    """A WARNING for each static Task ``Resource`` in ``document`` that ``reachable`` says no to."""
    found = []
    for resource, pointer in _resources(document, ""):
        if not reachable(resource):
            found.append(Diagnostic(WARNING, UNREACHABLE, f"This server cannot reach '{resource}' with its "
                                    "configuration (no Python function registered and no pass-through "
                                    "endpoint for the service): the task will fail when it runs", pointer))
    return found


def _resources(machine: Any, at: str) -> Iterator[tuple[str, str]]:
    states = machine.get("States") if is_object(machine) else None
    if not is_object(states):
        return
    for name, state in states.items():
        if not is_object(state):
            continue
        pointer = at_key(f"{at}/States", name)
        resource = state.get("Resource")
        if state.get("Type") == "Task" and isinstance(resource, str) and not resource.startswith(("$", "{%")):
            yield resource, f"{pointer}/Resource"
        branches = state.get("Branches")
        if isinstance(branches, list):
            for i, branch in enumerate(branches):
                yield from _resources(branch, f"{pointer}/Branches/{i}")
        for key in ("ItemProcessor", "Iterator"):
            yield from _resources(state.get(key), f"{pointer}/{key}")

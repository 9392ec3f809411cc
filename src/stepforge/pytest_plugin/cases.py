"""Run the test cases of a MockConfigFile (Step Functions Local's format) on the manual clock.

    results = run_cases(definition, config, name="Orders")      # every test case of "Orders"
    [(r.case, r.status, r.path) for r in results]

Each case runs in a fresh in-memory deployment, as ``StartExecution`` on ``ARN#Case`` would on
Step Functions Local, with its Waits and Retry back-offs taken on the manual clock.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stepforge.pytest_plugin.workbench import StepForge
from stepforge.service.errors import ApiError


class CaseError(ValueError):
    """A MockConfigFile or state machine name that cannot be used; the message says why."""


@dataclass
class CaseResult:
    """How one test case's execution ended."""

    case: str
    status: str
    path: list[str] = field(default_factory=list)
    seconds: float = 0.0        # on the manual clock
    wall_seconds: float = 0.0
    error: str | None = None
    cause: str | None = None
    output: Any = None


def machine_name(config: Mapping[str, Any], name: str | None) -> str:
    """The state machine whose test cases run: ``name``, or the file's only one."""
    machines = list(config.get("StateMachines") or {})
    if name is not None:
        if name not in machines:
            raise CaseError(f"the MockConfigFile has no state machine {name!r} (it has {machines})")
        return name
    if len(machines) != 1:
        raise CaseError(f"the MockConfigFile has {len(machines)} state machines {machines}: name one with --name")
    return str(machines[0])


def case_names(config: Mapping[str, Any], machine: str) -> list[str]:
    return list(config["StateMachines"][machine].get("TestCases") or {})


def run_cases(definition: Mapping[str, Any], config: Mapping[str, Any], *, name: str | None = None,
              cases: list[str] | None = None, value: Any = None) -> list[CaseResult]:
    """Run the named test cases (default: all of the machine's), each to its end."""
    machine = machine_name(config, name)
    known = case_names(config, machine)
    unknown = [c for c in cases or [] if c not in known]
    if unknown:
        raise CaseError(f"{machine} has no test case {unknown[0]!r} (it has {known})")
    return [run_case(definition, config, machine, case, value) for case in cases or known]


def run_case(definition: Mapping[str, Any], config: Mapping[str, Any], machine: str, case: str,
             value: Any) -> CaseResult:
    began = time.perf_counter()
    bench = StepForge(mock_config=config)
    try:
        run = bench.load(definition, name=machine).start(value, case=case)
    except ApiError as exc:
        raise CaseError(f"{exc.code}: {exc.message}") from None
    try:
        run.finish()
        blocked = None
    except AssertionError as exc:
        blocked = str(exc)
    bench.close()
    return CaseResult(case, run.status, run.path, run.seconds, time.perf_counter() - began,
                      run.error, blocked or run.cause, run.output)

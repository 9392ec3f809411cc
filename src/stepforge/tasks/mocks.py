"""Mocked task responses in Step Functions Local's MockConfigFile format.

    {"StateMachines": {"Orders": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}},
     "MockedResponses": {"ChargeOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"ok": true}}}},
                         "Flaky": {"0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException",
                                                     "Cause": "slow down"}},
                                   "2": {"Return": {"ok": true}}}}}

An execution runs a test case when it was started on ``<state machine ARN>#<TestCaseName>``: its
ARN then ends with ``#<TestCaseName>``. Each Task state that the test case names answers with the
mocked response for its n-th invocation in that execution (counting from 0, retries included);
states it does not name call their real resource.
"""

from __future__ import annotations

from typing import Any

from stepforge.tasks.lambdas import Outcome


class MockConfigError(ValueError):
    """A MockConfigFile that does not have Step Functions Local's shape."""


class Mocks:
    """Looks up mocked responses; counts invocations per (execution, state) in memory."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.machines: dict[str, Any] = config.get("StateMachines", {})
        self.responses: dict[str, Any] = config.get("MockedResponses", {})
        self._counts: dict[tuple[str, str], int] = {}
        self._check()

    def _check(self) -> None:
        for machine, spec in self.machines.items():
            for case, states in spec.get("TestCases", {}).items():
                for state, response in states.items():
                    if response not in self.responses:
                        raise MockConfigError(f"StateMachines.{machine}.TestCases.{case}.{state}: "
                                              f"no MockedResponses entry named {response!r}")

    def mocks(self, execution_arn: str, state_name: str) -> bool:
        """Does this execution's test case mock this state?"""
        return self._response_name(execution_arn, state_name) is not None

    def _response_name(self, execution_arn: str, state_name: str) -> str | None:
        head, hash_, case = execution_arn.rpartition("#")
        if not hash_:
            return None
        parts = head.split(":")
        machine = parts[6] if len(parts) > 7 else ""
        found = self.machines.get(machine, {}).get("TestCases", {}).get(case, {}).get(state_name)
        return found if isinstance(found, str) else None

    def answer(self, execution_arn: str, state_name: str) -> Outcome | None:
        """The mocked outcome of this invocation of the state, or None if it is not mocked."""
        name = self._response_name(execution_arn, state_name)
        if name is None:
            return None
        key = (execution_arn, state_name)
        invocation = self._counts.get(key, 0)
        self._counts[key] = invocation + 1
        response = _pick(self.responses[name], invocation)
        if response is None:
            return Outcome(error="States.Runtime",
                           cause=f"The mocked response {name!r} has no entry for invocation {invocation}.")
        if "Throw" in response:
            thrown = response["Throw"] or {}
            return Outcome(error=str(thrown.get("Error", "")), cause=thrown.get("Cause"))
        return Outcome(output=response.get("Return"))

    def forget(self, execution_arn: str) -> None:
        """Drop an ended execution's counters."""
        for key in [k for k in self._counts if k[0] == execution_arn]:
            del self._counts[key]


def _pick(ranges: dict[str, Any], invocation: int) -> dict[str, Any] | None:
    for key, response in ranges.items():
        low, _, high = key.partition("-")
        try:
            if int(low) <= invocation <= int(high or low):
                return response if isinstance(response, dict) else None
        except ValueError:
            continue
    return None

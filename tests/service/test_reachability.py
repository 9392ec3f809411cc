"""ValidateStateMachineDefinition warns about Task resources this server cannot reach (issue 12, 2b);
CreateStateMachine still accepts them: such a task fails when it runs, as a catchable task failure."""

from __future__ import annotations

import json

from stepforge.service import statemachines
from stepforge.tasks.config import TaskConfig
from stepforge.tasks.functions import FunctionRegistry
from stepforge.testing import ROLE, Harness

SQS = "arn:aws:states:::sqs:sendMessage"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:resize"
ACTIVITY = "arn:aws:states:us-east-1:000000000000:activity:work"


def calling(*resources: str) -> str:
    names = [f"T{i}" for i in range(len(resources))]
    states = {name: {"Type": "Task", "Resource": resource, **({"Next": names[i + 1]} if i + 1 < len(names)
                                                                else {"End": True})}
              for i, (name, resource) in enumerate(zip(names, resources))}
    return json.dumps({"StartAt": names[0], "States": states})


def warnings(harness: Harness, definition: str) -> list[tuple[str, str]]:
    answer = harness.call(statemachines.validate, definition=definition, severity="WARNING")
    assert answer["result"] == "OK"
    return [(d["code"], d["location"]) for d in answer["diagnostics"]]


def test_without_pass_through_or_functions_only_local_resources_are_reachable() -> None:
    harness = Harness()
    assert warnings(harness, calling(SQS, FUNCTION, ACTIVITY)) == [
        ("UNREACHABLE_RESOURCE", "/States/T0/Resource"), ("UNREACHABLE_RESOURCE", "/States/T1/Resource")]


def test_a_pass_through_endpoint_reaches_every_service() -> None:
    harness = Harness(tasks=TaskConfig(endpoint_url="http://127.0.0.1:1", inline=True))
    assert warnings(harness, calling(SQS, FUNCTION, ACTIVITY)) == []


def test_a_registered_function_is_reachable_and_another_is_not() -> None:
    functions = FunctionRegistry()
    functions.add("resize", lambda event, context: event)
    harness = Harness(tasks=TaskConfig(functions=functions, inline=True))
    other = FUNCTION.replace("resize", "crop")
    assert warnings(harness, calling(FUNCTION, other)) == [("UNREACHABLE_RESOURCE", "/States/T1/Resource")]


def test_errors_only_validation_and_create_state_machine_ignore_reachability() -> None:
    harness = Harness()
    answer = harness.call(statemachines.validate, definition=calling(SQS))
    assert (answer["result"], answer["diagnostics"]) == ("OK", [])
    assert harness.call(statemachines.create, name="m", definition=calling(SQS), roleArn=ROLE)["stateMachineArn"]

"""The optimized Amazon EMR integration: ``arn:aws:states:::elasticmapreduce:ACTION`` over EMR's own API.

Step Functions' EMR actions wrap EMR's API with their own members, as AWS documents them:

=============================  ==========================  ===========================================
action                         EMR call                    differences
=============================  ==========================  ===========================================
createCluster(.sync)           RunJobFlow                  ``Instances.KeepJobFlowAliveWhenNoSteps``
                                                           must be true, no ``Steps``; result
                                                           ``{"ClusterId"}``; .sync waits for WAITING
setClusterTerminationProtection SetTerminationProtection   ``ClusterId`` for ``JobFlowIds``
terminateCluster(.sync)        TerminateJobFlows           ``ClusterId`` for ``JobFlowIds``; .sync waits
                                                           for TERMINATED
addStep(.sync)                 AddJobFlowSteps             ``ClusterId``, one ``Step``; result
                                                           ``{"StepId"}``; .sync waits for COMPLETED
cancelStep                     CancelSteps                 one ``StepId``; result ``{"CancelStepsInfo"}``
modifyInstanceFleetByName      ListInstanceFleets +        ``InstanceFleetName`` finds the fleet's id
                               ModifyInstanceFleet         (``InstanceFleet.InstanceFleetId`` refused)
modifyInstanceGroupByName      ListInstanceGroups +        ``InstanceGroupName`` finds the group's id
                               ModifyInstanceGroups        (``InstanceGroup.InstanceGroupId`` refused)
=============================  ==========================  ===========================================

A request that breaks these rules fails with ``States.Runtime`` before any call; EMR's own errors are
named as for every optimized integration (``EMR.AmazonElasticMapReduceException``, ...). A stopped
execution leaves its cluster running, as on AWS; a step it waited for is cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stepforge.tasks.aws import sync
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.resources import SYNC, SYNC2, Target

Json = dict[str, Any]
Action = Callable[[sync.Call, Json], Outcome]


def invalid(cause: str) -> Outcome:
    """A request the integration refuses before calling the service."""
    return Outcome(error="States.Runtime", cause=cause)


def _create_cluster(call: sync.Call, params: Json) -> Outcome:
    if (params.get("Instances") or {}).get("KeepJobFlowAliveWhenNoSteps") is not True:
        return invalid("elasticmapreduce:createCluster requires 'Instances.KeepJobFlowAliveWhenNoSteps' "
                       "to be true.")
    if "Steps" in params:
        return invalid("elasticmapreduce:createCluster does not allow the field 'Steps': "
                       "add steps with elasticmapreduce:addStep.")
    return _mapped(call("RunJobFlow", params), lambda result: {"ClusterId": result.get("JobFlowId")})


def _set_termination_protection(call: sync.Call, params: Json) -> Outcome:
    request = {"JobFlowIds": [params.get("ClusterId")], "TerminationProtected": params.get("TerminationProtected")}
    return call("SetTerminationProtection", request)


def _terminate_cluster(call: sync.Call, params: Json) -> Outcome:
    return call("TerminateJobFlows", {"JobFlowIds": [params.get("ClusterId")]})


def _add_step(call: sync.Call, params: Json) -> Outcome:
    request = {"JobFlowId": params.get("ClusterId"), "Steps": [params.get("Step")]}
    return _mapped(call("AddJobFlowSteps", request), lambda result: {"StepId": _first(result.get("StepIds"))})


def _cancel_step(call: sync.Call, params: Json) -> Outcome:
    request = {**_without(params, "StepId"), "StepIds": [params.get("StepId")]}
    return _mapped(call("CancelSteps", request),
                   lambda result: {"CancelStepsInfo": _first(result.get("CancelStepsInfoList"))})


def _modify_by_name(kind: str) -> Callable[[sync.Call, Json], Outcome]:
    """``modifyInstance{kind}ByName`` (Fleet or Group): find the fleet or group by its name in the
    cluster, then modify it by its id (``ModifyInstanceFleet`` takes one, ``ModifyInstanceGroups`` a list)."""
    member = f"Instance{kind}"

    def modify(call: sync.Call, params: Json) -> Outcome:
        wanted = params.get(member) or {}
        if f"{member}Id" in wanted:
            return invalid(f"elasticmapreduce:modify{member}ByName does not allow '{member}.{member}Id': "
                           f"the {kind.lower()} is found by '{member}Name'.")
        found = _find(call, f"List{member}s", f"{member}s", params.get("ClusterId"), params.get(f"{member}Name"))
        if found.failed:
            return found
        modified = {**wanted, f"{member}Id": found.output}
        if kind == "Fleet":
            return call("ModifyInstanceFleet", {"ClusterId": params.get("ClusterId"), "InstanceFleet": modified})
        return call("ModifyInstanceGroups", {"ClusterId": params.get("ClusterId"), "InstanceGroups": [modified]})

    return modify


ACTIONS: dict[str, Action] = {
    "createCluster": _create_cluster,
    "setClusterTerminationProtection": _set_termination_protection,
    "terminateCluster": _terminate_cluster,
    "addStep": _add_step,
    "cancelStep": _cancel_step,
    "modifyInstanceFleetByName": _modify_by_name("Fleet"),
    "modifyInstanceGroupByName": _modify_by_name("Group"),
}


def call(emr: sync.Call, target: Target, value: Any, waiting: sync.Waiting) -> Outcome:
    """The task's action, made of ``emr`` calls (for ``.sync``: until its cluster or step is there)."""
    params = value if isinstance(value, dict) else {}
    answer = run(target.action, emr, params)
    job = sync.JOBS.get((target.service, target.action)) if target.pattern in (SYNC, SYNC2) else None
    if answer.failed or job is None:
        return answer
    return sync.wait(job, emr, params, answer.output, waiting)


def run(action: str, call: sync.Call, params: Json) -> Outcome:
    """Run the optimized ``action`` with ``call`` (one EMR API call: operation, parameters -> result)."""
    found = ACTIONS.get(action)
    if found is None:
        return invalid(f"elasticmapreduce has no optimized action {action!r}; the actions are "
                       f"{', '.join(sorted(ACTIONS))} (or use arn:aws:states:::aws-sdk:emr:...).")
    return found(call, params)


def _find(call: sync.Call, operation: str, member: str, cluster: Any, name: Any) -> Outcome:
    """The id of the cluster's fleet or group called ``name``, page after page."""
    request: Json = {"ClusterId": cluster}
    while True:
        page = call(operation, request)
        if page.failed:
            return page
        for item in page.output.get(member) or []:
            if item.get("Name") == name:
                return Outcome(output=item.get("Id"))
        if not page.output.get("Marker"):
            return Outcome(error="States.TaskFailed",
                           cause=f"The cluster {cluster} has no {member[:-1]} named {name!r}.")
        request = {"ClusterId": cluster, "Marker": page.output["Marker"]}


def _mapped(answer: Outcome, shape: Callable[[Json], Json]) -> Outcome:
    return answer if answer.failed else Outcome(output=shape(answer.output))


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _without(params: Json, name: str) -> Json:
    return {key: value for key, value in params.items() if key != name}

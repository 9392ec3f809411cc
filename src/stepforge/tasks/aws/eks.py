"""``eks:call`` and ``eks:runJob(.sync)``: the Kubernetes API of an EKS cluster, as Step Functions calls it.

Both take ``ClusterName``, ``CertificateAuthority`` (base64 PEM, the server's certificate is checked
against it) and ``Endpoint`` (the API server's URL), and send a bearer token in the shape the AWS IAM
authenticator reads (``k8s-aws-v1.`` + a presigned STS GetCallerIdentity URL naming the cluster, signed
with the pass-through's credentials: a real cluster maps it to an IAM identity; stepforge cannot sign
as the state machine's role). The API server is reached through the HTTP Task's network guard.

- ``call``: ``Method``, ``Path``, ``QueryParameters`` (names to lists of values), ``RequestBody``; the
  result is ``{"ResponseBody": ..., "StatusCode": 200, "StatusText": "OK"}``.
- ``runJob``: ``Namespace`` (``default``), ``Job`` (a ``batch/v1`` Job, as JSON or text) is created; the
  result is the answer to that creation (``ResponseBody``: the created Job). With ``.sync`` the Job is read until a ``Complete``
  or ``Failed`` condition (AWS's pace: every minute, every five after ten minutes), then the result is
  the final Job, with ``LogOptions.RetrieveLogs`` its pods' logs under ``logs.pods.<pod>.containers.
  <container>.log`` (JSON where it parses, unless ``RawLogs``; ``LogParameters`` as query parameters).
  A failed Job fails the task with ``States.TaskFailed``; a task that stops waiting deletes its Job.

A status outside 2xx fails the task with ``EKS.<status>``, the cause the answer's JSON
(``{"ResponseBody": {"kind": "Status", ...}, "StatusCode": 401, "StatusText": "Unauthorized"}``, as AWS
documents it); no answer, with ``EKS.<exception>``.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from http import HTTPStatus
from typing import Any

from stepforge.tasks.aws import sync
from stepforge.tasks.config import HttpSettings
from stepforge.tasks.http import TooLarge, TooSlow, read_capped, with_query
from stepforge.tasks.lambdas import Outcome
from stepforge.tasks.targets import RUNTIME, Refused, resolve

Json = dict[str, Any]


class Kubernetes:
    """One cluster's API server, called with httpx through the network guard."""

    def __init__(self, params: Json, settings: HttpSettings, region: str) -> None:
        for name in ("ClusterName", "CertificateAuthority", "Endpoint"):
            if not isinstance(params.get(name), str) or not params[name]:
                raise Refused(f"The parameter '{name}' is required by the EKS integration.", RUNTIME)
        self.endpoint = str(params["Endpoint"]).rstrip("/")
        self.cluster = str(params["ClusterName"])
        self.authority = str(params["CertificateAuthority"])
        self.settings = settings
        self.region = region

    def request(self, method: str, path: str, query: list[tuple[str, str]] | None = None,
                body: Any = None, *, raw: bool = False) -> Outcome:
        """One API call: ``{"ResponseBody": ... (JSON parsed unless ``raw``), "StatusCode", "StatusText"}``, or
        ``EKS.<status>`` with that object as the cause."""
        import httpx

        address = with_query(self.endpoint + "/" + path.lstrip("/"), query or [])
        try:
            target = resolve(address, self.settings.allow)
            headers = {"Authorization": f"Bearer {token(self.cluster, self.region)}", "Host": target.authority,
                       "Accept": "application/json"}
            content = None if body is None else body if isinstance(body, str) else json.dumps(body)
            if content is not None:
                headers["Content-Type"] = "application/json"
            with httpx.Client(timeout=self.settings.timeout, verify=self._verify(target.scheme),
                              trust_env=False) as client, client.stream(
                    method, httpx.URL(address).copy_with(host=target.address), headers=headers, content=content,
                    extensions={"sni_hostname": target.host} if target.scheme == "https" else {}) as response:
                text = read_capped(response, self.settings.response_limit,
                                   time.monotonic() + self.settings.timeout).decode("utf-8", errors="replace")
                status = response.status_code
        except Refused as exc:
            return Outcome(error=exc.error if exc.error == RUNTIME else "EKS.Refused", cause=str(exc))
        except (TooLarge, TooSlow, httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, ValueError) as exc:
            return Outcome(error=f"EKS.{type(exc).__name__}", cause=str(exc))
        answer = {"ResponseBody": text if raw else _json(text), "StatusCode": status, "StatusText": _reason(status)}
        if not 200 <= status < 300:
            return Outcome(error=f"EKS.{status}", cause=json.dumps(answer, separators=(",", ":")))
        return Outcome(output=answer)

    def _verify(self, scheme: str) -> ssl.SSLContext | bool:
        if scheme != "https":
            return False
        return ssl.create_default_context(cadata=base64.b64decode(self.authority).decode())


def token(cluster: str, region: str) -> str:
    """A bearer token as ``aws eks get-token`` makes it: a presigned STS GetCallerIdentity URL."""
    from botocore.auth import SigV4QueryAuth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    request = AWSRequest(method="GET", url=f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&"
                                           "Version=2011-06-15", headers={"x-k8s-aws-id": cluster})
    SigV4QueryAuth(Credentials("stepforge", "stepforge"), "sts", region, expires=60).add_auth(request)
    return "k8s-aws-v1." + base64.urlsafe_b64encode(request.url.encode()).decode().rstrip("=")


def call(value: Any, settings: HttpSettings, region: str) -> Outcome:
    """``eks:call``."""
    params = value if isinstance(value, dict) else {}
    try:
        api = Kubernetes(params, settings, region)
    except Refused as exc:
        return Outcome(error=exc.error, cause=str(exc))
    method = params.get("Method")
    if method not in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH") or not isinstance(params.get("Path"), str):
        return Outcome(error=RUNTIME, cause="eks:call requires 'Method' (GET, POST, PUT, DELETE, HEAD or PATCH) "
                                            "and 'Path'.")
    return api.request(str(method), params["Path"], _pairs(params.get("QueryParameters")), params.get("RequestBody"))


def run_job(value: Any, settings: HttpSettings, region: str, waiting: sync.Waiting | None) -> Outcome:
    """``eks:runJob``; with ``waiting`` (``.sync``) until the Job completes or fails."""
    params = value if isinstance(value, dict) else {}
    try:
        api = Kubernetes(params, settings, region)
        job = params.get("Job")
        job = json.loads(job) if isinstance(job, str) else job
        if not isinstance(job, dict):
            raise Refused("The parameter 'Job' (a batch/v1 Job) is required by eks:runJob.", RUNTIME)
    except (Refused, ValueError) as exc:
        return Outcome(error=RUNTIME, cause=str(exc))
    jobs = f"/apis/batch/v1/namespaces/{params.get('Namespace') or 'default'}/jobs"
    created = api.request("POST", jobs, body=job)
    if created.failed or waiting is None:
        return created
    name = str(((created.output["ResponseBody"] or {}).get("metadata") or {}).get("name") or "")
    return _wait(api, f"{jobs}/{name}", params.get("LogOptions") or {}, waiting)


def _wait(api: Kubernetes, path: str, logs: Json, waiting: sync.Waiting) -> Outcome:
    began = time.monotonic()
    while True:
        if not waiting.still_waiting():
            api.request("DELETE", path, [("propagationPolicy", "Foreground")])
            return Outcome(error="States.TaskFailed", cause="The task stopped waiting for the job; it was deleted.")
        read = api.request("GET", path)
        if read.failed:
            return read
        job = read.output["ResponseBody"]
        conditions = (job.get("status") or {}).get("conditions") or []
        ended = {c.get("type") for c in conditions if c.get("status") == "True"}
        if ended & {"Complete", "Failed"}:
            result = {**read.output, **({"logs": _logs(api, job, logs)} if logs.get("RetrieveLogs") else {})}
            if "Failed" in ended:
                return Outcome(error="States.TaskFailed", cause=json.dumps(result, separators=(",", ":")))
            return Outcome(output=result)
        waited = time.monotonic() - began
        interval = waiting.interval if waiting.interval is not None else sync.minute_then_five(waited)
        if waiting.closed.wait(interval):
            return Outcome(error="States.TaskFailed", cause="The server stopped while the task waited for the job.")


def _logs(api: Kubernetes, job: Json, options: Json) -> Json:
    """Every pod's containers' logs, best effort: a log that cannot be read has ``error`` and ``cause``."""
    meta = job.get("metadata") or {}
    namespace, selector = meta.get("namespace") or "default", f"job-name={meta.get('name')}"
    listed = api.request("GET", f"/api/v1/namespaces/{namespace}/pods", [("labelSelector", selector)])
    pods: Json = {}
    for pod in [] if listed.failed else listed.output["ResponseBody"].get("items") or []:
        name = (pod.get("metadata") or {}).get("name")
        containers: Json = {}
        for container in (pod.get("spec") or {}).get("containers") or []:
            read = api.request("GET", f"/api/v1/namespaces/{namespace}/pods/{name}/log",
                               [("container", str(container.get("name"))), *_pairs(options.get("LogParameters"))],
                               raw=True)
            text = read.output["ResponseBody"] if not read.failed else ""
            containers[str(container.get("name"))] = (
                {"error": read.error, "cause": read.cause} if read.failed
                else {"log": text if options.get("RawLogs") else _json(text)})
        pods[str(name)] = {"containers": containers}
    return {"pods": pods}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _pairs(values: Any) -> list[tuple[str, str]]:
    if not isinstance(values, dict):
        return []
    return [(str(k), str(v)) for k, given in values.items() for v in (given if isinstance(given, list) else [given])]


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else ""
    except ValueError:
        return text

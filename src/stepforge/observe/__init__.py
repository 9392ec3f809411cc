"""Seeing what runs: Prometheus metrics, OpenTelemetry traces, the audit trail, the console dashboard.

Everything here watches; nothing here changes what executions do. The engine tells
:class:`~stepforge.observe.observatory.Observatory` what each committed batch did
(:mod:`stepforge.engine.observer`); :mod:`~stepforge.observe.follow` reads the history events of
the batch into facts (an execution started, a state was left after 2 s, a task failed) that the
metrics, the traces and the dashboard count. The audit trail records API calls at the HTTP edge.
"""

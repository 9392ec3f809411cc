"""The trace context of the task being started, for the integrations that pass it on.

While :class:`~stepforge.tasks.dispatch.Dispatcher` starts a task, :data:`CURRENT` holds the W3C
trace headers (``traceparent``, maybe ``tracestate``) of the task's span, as the dispatcher's
``trace_headers`` port gives them (empty when tracing is off). The runner carries the context into
its worker threads; HTTP tasks send the headers (unless the state sets them itself) and Python
functions find them in ``context.trace_context``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from types import MappingProxyType

#: (execution ARN, state name) -> the W3C trace headers of that state's open task.
TraceHeaders = Callable[[str, str], dict[str, str]]

_NONE: Mapping[str, str] = MappingProxyType({})
CURRENT: ContextVar[Mapping[str, str]] = ContextVar("stepforge_trace_headers", default=_NONE)


def current() -> dict[str, str]:
    """The trace headers of the task being started (a copy; empty without tracing)."""
    return dict(CURRENT.get())

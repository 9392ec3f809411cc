"""Test state machines like code: a pytest plugin with a manual clock, mocks, coverage and replay.

``pip install stepforge`` registers the plugin (entry point ``pytest11``); a test asks for the
``stepforge`` fixture (:class:`~stepforge.pytest_plugin.workbench.StepForge`). Mocks are
:class:`~stepforge.pytest_plugin.mocking.Return` and :class:`~stepforge.pytest_plugin.mocking.Throw`; ``run.state(name)`` is a
:class:`~stepforge.pytest_plugin.history.Visit`.
"""

from stepforge.pytest_plugin.history import Visit
from stepforge.pytest_plugin.mocking import Return, Throw
from stepforge.pytest_plugin.runs import Run
from stepforge.pytest_plugin.workbench import Machine, StepForge

__all__ = ["Machine", "Return", "Run", "StepForge", "Throw", "Visit"]

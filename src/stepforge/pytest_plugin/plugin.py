"""The pytest plugin (entry point ``pytest11``): the ``stepforge`` fixture, the mock-case marker, coverage.

    def test_retries_then_ships(stepforge):
        machine = stepforge.load("order.asl.json")
        stepforge.mock("Charge", Throw("Busy"), Throw("Busy"), Return({"paid": True}))
        run = machine.run({"order": 7})
        assert run.path == ["Charge", "Ship"] and run.state("Charge").retries == 2

    @pytest.mark.stepforge_mock_case("HappyPath")     # Step Functions Local's MockConfigFile test case
    def test_happy_path(stepforge): ...

The MockConfigFile is the marker's ``file=`` (relative to the test file), else the ini option
``stepforge_mock_config`` (relative to the rootdir), else ``$SFN_MOCK_CONFIG``, else a
``MockConfigFile.json`` next to the test file. ``--stepforge-cov`` reports what the tests exercised
of each machine (``--stepforge-cov-html=DIR`` also draws it, ``--stepforge-cov-fail-under=N``
fails the run below N percent); pytest-xdist workers send their counts to the controller.

A Distributed Map's buckets (``[s3.buckets]`` of a server) are mapped to directories by overriding the
``stepforge_buckets`` fixture in a ``conftest.py`` (bucket name -> directory; none by default).

Once the tests are collected, a session in which a test uses the fixture freezes the heap it has then
(:func:`freeze_heap`: Python's cyclic collector no longer walks the imported modules and collected
tests); the ini option ``stepforge_gc_freeze = false`` turns that off.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from stepforge.pytest_plugin.coverage import Coverage
    from stepforge.pytest_plugin.workbench import StepForge

COVERAGE: pytest.StashKey[Coverage] = pytest.StashKey()
MARKER = "stepforge_mock_case"
FIXTURE = "stepforge"
WORKER_KEY = "stepforge_coverage"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stepforge", "stepforge: state machine tests")
    group.addoption("--stepforge-cov", action="store_true", default=False,
                    help="report the states, Choice rules, Retry/Catch clauses and transitions the tests exercised")
    group.addoption("--stepforge-cov-fail-under", type=float, default=None, metavar="N",
                    help="fail the run when state machine coverage is below N percent (implies --stepforge-cov)")
    group.addoption("--stepforge-cov-html", default=None, metavar="DIR",
                    help="write an HTML report with each machine's graph coloured by coverage into DIR (relative to "
                         "the rootdir; implies --stepforge-cov)")
    parser.addini("stepforge_mock_config", "the MockConfigFile (Step Functions Local's format) of the tests",
                  default=None)
    parser.addini("stepforge_gc_freeze", "once the tests are collected, exempt what exists then from Python's "
                  "cyclic collector (gc.freeze) when a test uses the stepforge fixture", type="bool", default=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}(case, file=None): run the test's executions as this test case "
                                       "of a MockConfigFile (Step Functions Local's format)")
    if _enabled(config):
        from stepforge.pytest_plugin.coverage import Coverage

        config.stash[COVERAGE] = Coverage()


def pytest_collection_finish(session: pytest.Session) -> None:
    """When a test uses the ``stepforge`` fixture (and ``stepforge_gc_freeze`` is on): import the
    fixture's modules, collect, then :func:`freeze_heap`."""
    if session.config.getini("stepforge_gc_freeze") and any(
            FIXTURE in getattr(item, "fixturenames", ()) for item in session.items):
        import stepforge.pytest_plugin.workbench  # noqa: F401 - what the first test would import

        freeze_heap()


def freeze_heap() -> None:
    """Collect the garbage there is, then move every object left (modules, the collected tests) into
    the cyclic collector's permanent generation (:func:`gc.freeze`): its full collections, which each
    test's allocations set off now and then, then walk only what the tests made since — not the whole
    imported heap. Frozen objects are still freed by reference counting; only cycles among them that
    become garbage later stay (modules and test items live for the session anyway)."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def stepforge_buckets() -> dict[str, str | Path]:
    """The buckets the ``stepforge`` fixture maps to directories (bucket name -> directory), as
    ``[s3.buckets]`` does for a server: none. Override it in a ``conftest.py`` to map some (say, copies
    in ``tmp_path``, so that runs leave the originals alone)."""
    return {}


@pytest.fixture
def stepforge(request: pytest.FixtureRequest, stepforge_buckets: dict[str, str | Path]) -> Iterator[StepForge]:
    """An in-process stepforge on a manual clock: load machines, mock tasks, run executions, move time."""
    from stepforge.pytest_plugin.definitions import read_document
    from stepforge.pytest_plugin.workbench import StepForge

    marker = request.node.get_closest_marker(MARKER)
    config_path = _mock_config_path(request, marker)
    coverage = request.config.stash.get(COVERAGE, None)
    bench = StepForge(mock_config=read_document(config_path) if config_path else None,
                      case=str(marker.args[0]) if marker and marker.args else None,
                      recorder=coverage.record if coverage is not None else None, buckets=stepforge_buckets)
    try:
        yield bench
    finally:
        bench.close()


def _mock_config_path(request: pytest.FixtureRequest, marker: pytest.Mark | None) -> Path | None:
    here = request.path.parent
    if marker is not None and marker.kwargs.get("file"):
        return here / str(marker.kwargs["file"])
    configured = request.config.getini("stepforge_mock_config")
    if configured:
        return request.config.rootpath / str(configured)
    if os.environ.get("SFN_MOCK_CONFIG"):
        return Path(os.environ["SFN_MOCK_CONFIG"])
    beside = here / "MockConfigFile.json"
    if beside.exists():
        return beside
    if marker is not None:
        raise pytest.UsageError(f"{request.node.nodeid}: @{MARKER} needs a MockConfigFile: file=..., the ini option "
                                "stepforge_mock_config, $SFN_MOCK_CONFIG or MockConfigFile.json beside the test")
    return None


def _enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("stepforge_cov") or config.getoption("stepforge_cov_fail_under") is not None
                or config.getoption("stepforge_cov_html"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker hands its coverage to the controller."""
    coverage = session.config.stash.get(COVERAGE, None)
    workeroutput = getattr(session.config, "workeroutput", None)
    if coverage is not None and workeroutput is not None:
        workeroutput[WORKER_KEY] = coverage.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller adds a finished pytest-xdist worker's coverage."""
    coverage = node.config.stash.get(COVERAGE, None)
    dumped = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if coverage is not None and dumped:
        coverage.merge(dumped)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    result = yield
    coverage = session.config.stash.get(COVERAGE, None)
    threshold = session.config.getoption("stepforge_cov_fail_under")
    controller = not hasattr(session.config, "workerinput")
    if coverage is not None and threshold is not None and controller and coverage.percent < threshold:
        session.testsfailed += 1
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    coverage = config.stash.get(COVERAGE, None)
    if coverage is None or hasattr(config, "workerinput"):
        return
    from stepforge.pytest_plugin.report import summary_lines, write_html

    terminalreporter.section("stepforge coverage")
    for line in summary_lines(coverage):
        terminalreporter.write_line(line)
    directory = config.getoption("stepforge_cov_html")
    if directory:
        written = write_html(coverage, config.rootpath / directory)  # an absolute DIR stays as it is
        terminalreporter.write_line(f"HTML report: {written}")
    threshold = config.getoption("stepforge_cov_fail_under")
    if threshold is not None:
        verdict = "FAIL" if coverage.percent < threshold else "passed"
        terminalreporter.write_line(f"stepforge coverage {verdict}: {coverage.percent:.1f}% "
                                    f"(required {threshold:g}%)", red=verdict == "FAIL", bold=True)

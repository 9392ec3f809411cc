"""The plugin as pytest loads it: its options, marker and reports, run by pytester in a scratch directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: Every example project (a folder of examples/ with its own pytest.ini asking for full coverage).
PROJECTS = sorted(path.parent.name for path in EXAMPLES.glob("*/pytest.ini"))
TESTS = '''
from stepforge.pytest_plugin import Throw

MACHINE = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Yes"}],
              "Default": "No"},
    "Yes": {"Type": "Pass", "End": True},
    "No": {"Type": "Fail", "Error": "Nope"}}}

def test_yes(stepforge):
    assert stepforge.load(MACHINE, name="check").run({"ok": True}).status == "SUCCEEDED"
'''
MORE = '''
def test_no(stepforge):
    assert stepforge.load(MACHINE, name="check").run({"ok": False}).error == "Nope"
'''


def test_the_fixture_needs_no_configuration(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "stepforge coverage" not in result.stdout.str()


def test_stepforge_cov_prints_a_table_and_what_was_not_exercised(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--stepforge-cov")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*stepforge coverage*", "machine*runs*states*transitions*choices*cover",
                                 "check*1*2/3*1/1*1/2*67%", "check: not exercised: default:Check, state:No"])


def test_fail_under_fails_the_run_below_the_threshold_and_passes_above(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    low = pytester.runpytest("--stepforge-cov-fail-under=90")
    assert low.ret == pytest.ExitCode.TESTS_FAILED
    low.stdout.fnmatch_lines(["*stepforge coverage FAIL: 66.7% (required 90%)*"])
    pytester.makepyfile(TESTS + MORE)
    assert pytester.runpytest("--stepforge-cov-fail-under=100").ret == pytest.ExitCode.OK


def test_coverage_from_xdist_workers_is_merged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS + MORE)
    result = pytester.runpytest_subprocess("-n", "2", "--stepforge-cov-fail-under=100")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["check*2*3/3*1/1*2/2*100%"])


def test_the_html_report_is_written_where_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(TESTS)
    result = pytester.runpytest("--stepforge-cov-html=report")
    page = (pytester.path / "report" / "index.html").read_text()
    result.stdout.fnmatch_lines(["HTML report: *index.html"])
    data = json.loads(page.split('type="application/json">')[1].split("</script>")[0])
    assert data[0]["name"] == "check" and data[0]["counts"]["state:No"] == 0


def test_the_mock_case_marker_without_a_mock_config_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
import pytest

@pytest.mark.stepforge_mock_case("HappyPath")
def test_case(stepforge):
    pass
''')
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*needs a MockConfigFile*"])


def test_the_mock_config_file_from_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstepforge_mock_config = mocks/cases.json\n")
    (pytester.path / "mocks").mkdir()
    (pytester.path / "mocks" / "cases.json").write_text(json.dumps({
        "StateMachines": {"Pay": {"TestCases": {"Declined": {"Charge": "No"}}}},
        "MockedResponses": {"No": {"0": {"Throw": {"Error": "Card.Declined"}}}}}))
    pytester.makepyfile('''
import pytest

@pytest.mark.stepforge_mock_case("Declined")
def test_declined(stepforge):
    machine = stepforge.load({"StartAt": "Charge", "States": {"Charge": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:charge", "End": True}}})
    assert machine.name == "Pay" and machine.run().error == "Card.Declined"
''')
    pytester.runpytest().assert_outcomes(passed=1)


def test_there_are_example_projects() -> None:
    assert {"video_pipeline", "vending_machine", "encoder_decider", "ebs_snapshots", "human_approval"} <= set(PROJECTS)


@pytest.mark.parametrize("project", PROJECTS)
def test_each_example_project_passes_with_full_coverage(pytester: pytest.Pytester, project: str) -> None:
    result = pytester.runpytest_subprocess(str(EXAMPLES / project), f"--stepforge-cov-html={pytester.path / 'html'}")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()  # its pytest.ini asks for 100%
    result.stdout.fnmatch_lines(["configfile: pytest.ini", "*coverage passed: 100.0%*"])


FROZEN = '''
import gc

def test_the_heap_is_frozen(stepforge):
    assert gc.get_freeze_count() {expected}
'''


def test_what_exists_once_the_tests_are_collected_is_exempt_from_the_cyclic_collector(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FROZEN.format(expected="> 1000"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_stepforge_gc_freeze_false_leaves_the_collector_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstepforge_gc_freeze = false\n")
    pytester.makepyfile(FROZEN.format(expected="== 0"))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)

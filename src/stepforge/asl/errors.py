"""Errors of the States language.

Two families live here:

* :class:`StatesError` — a runtime error *value* with an ASL error name (``States.Runtime``,
  ``States.TaskFailed``, a user's ``"MyError"``) and a cause. Evaluation raises it; the interpreter
  turns it into Retry/Catch handling or a failed execution.
* :class:`DefinitionError` — a piece of a definition with bad syntax (a path, a payload template, an
  intrinsic call, a choice rule, a JSONata expression), with the JSON pointer of the offending
  field. The parsers of those pieces raise it; the validator turns it into a diagnostic.
"""

from __future__ import annotations

from typing import Final

ALL: Final = "States.ALL"
BRANCH_FAILED: Final = "States.BranchFailed"
DATA_LIMIT_EXCEEDED: Final = "States.DataLimitExceeded"
EXCEED_TOLERATED_FAILURE_THRESHOLD: Final = "States.ExceedToleratedFailureThreshold"
HEARTBEAT_TIMEOUT: Final = "States.HeartbeatTimeout"
INTRINSIC_FAILURE: Final = "States.IntrinsicFailure"
ITEM_READER_FAILED: Final = "States.ItemReaderFailed"
NO_CHOICE_MATCHED: Final = "States.NoChoiceMatched"
PARAMETER_PATH_FAILURE: Final = "States.ParameterPathFailure"
PERMISSIONS: Final = "States.Permissions"
QUERY_EVALUATION_ERROR: Final = "States.QueryEvaluationError"
RESULT_PATH_MATCH_FAILURE: Final = "States.ResultPathMatchFailure"
RESULT_WRITER_FAILED: Final = "States.ResultWriterFailed"
RUNTIME: Final = "States.Runtime"
TASK_FAILED: Final = "States.TaskFailed"
TIMEOUT: Final = "States.Timeout"

#: Errors that ``States.ALL`` does not catch or retry (AWS: "States.Runtime is not retriable").
NOT_CAUGHT_BY_ALL: Final = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class StatesError(Exception):
    """A runtime error of the States language: ``error`` is its name, ``cause`` its detail.

    ``located`` says whether the cause is a bare detail that the interpreter must prefix with
    AWS's "An error occurred while executing the state 'X' (entered at the event id #N). "
    (true for errors raised while evaluating a state's own fields: paths, templates, intrinsics),
    or a cause to report verbatim (a Fail state, a task's failure). ``location`` names the field
    that failed (``Arguments/FunctionName``) for the ``EvaluationFailed`` history event.
    """

    def __init__(self, error: str, cause: str | None = None, *, located: bool = True,
                 location: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause is not None else error)
        self.error = error
        self.cause = cause
        self.located = located
        self.location = location


class DefinitionError(Exception):
    """A piece of a definition that does not parse; ``path`` is a JSON pointer such as ``/States/A/Next``."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{message} at {path or '/'}")
        self.message = message
        self.path = path

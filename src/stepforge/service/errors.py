"""API errors: one base class carrying AWS's error code and HTTP status, one subclass per code.

The HTTP layer turns any :class:`ApiError` into AWS's JSON error body in one place.
"""

from __future__ import annotations

from stepforge.store.base import StorageCorrupt, StorageFull, StoreUnavailable


class ApiError(Exception):
    """An error the Step Functions API returns; ``code`` is AWS's error name."""

    code = "InternalFailure"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _error(code: str, status: int = 400) -> type[ApiError]:
    return type(code, (ApiError,), {"code": code, "status": status, "__doc__": f"AWS's {code}."})


ValidationException = _error("ValidationException")
InvalidArn = _error("InvalidArn")
InvalidName = _error("InvalidName")
InvalidDefinition = _error("InvalidDefinition")
InvalidExecutionInput = _error("InvalidExecutionInput")
InvalidOutput = _error("InvalidOutput")
InvalidToken = _error("InvalidToken")
StateMachineDoesNotExist = _error("StateMachineDoesNotExist")
StateMachineAlreadyExists = _error("StateMachineAlreadyExists")
StateMachineDeleting = _error("StateMachineDeleting")
StateMachineTypeNotSupported = _error("StateMachineTypeNotSupported")
ExecutionDoesNotExist = _error("ExecutionDoesNotExist")
ExecutionAlreadyExists = _error("ExecutionAlreadyExists")
ExecutionLimitExceeded = _error("ExecutionLimitExceeded")
ActivityDoesNotExist = _error("ActivityDoesNotExist")
ActivityAlreadyExists = _error("ActivityAlreadyExists")
ActivityWorkerLimitExceeded = _error("ActivityWorkerLimitExceeded")
TaskDoesNotExist = _error("TaskDoesNotExist")
TaskTimedOut = _error("TaskTimedOut")
ResourceNotFound = _error("ResourceNotFound")
ConflictException = _error("ConflictException")
#: A storage fault (a full disk, a database out of reach): nothing was written, the client may retry later (AWS's 503 shape).
ServiceUnavailable = _error("ServiceUnavailable", 503)
ExecutionNotRedrivable = _error("ExecutionNotRedrivable")
TooManyTags = _error("TooManyTags")
ServiceQuotaExceededException = _error("ServiceQuotaExceededException", 402)
MissingRequiredParameter = _error("MissingRequiredParameter")
InvalidLoggingConfiguration = _error("InvalidLoggingConfiguration")
InvalidTracingConfiguration = _error("InvalidTracingConfiguration")
InvalidEncryptionConfiguration = _error("InvalidEncryptionConfiguration")
UnknownOperation = _error("UnknownOperationException")
SerializationException = _error("SerializationException")
InternalFailure = _error("InternalFailure", 500)


def storage_fault(exc: BaseException) -> ApiError | None:
    """What a client is told of a storage fault (None for any other exception): ServiceUnavailable."""
    if isinstance(exc, StorageFull):
        return ServiceUnavailable("The service is unavailable: storage is full; nothing was written, retry later")
    if isinstance(exc, StorageCorrupt):
        return ServiceUnavailable("The service is unavailable: storage is damaged; nothing was written")
    if isinstance(exc, StoreUnavailable):
        return ServiceUnavailable("The service is unavailable: the database cannot be reached right now; "
                                  "nothing was written, retry later")
    return None



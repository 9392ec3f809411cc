"""The one error of reading or writing a Map Run's items: a Step Functions error name and cause."""

from __future__ import annotations

from stepforge.asl import errors

#: The largest item (or batch) a child execution takes as input, as on AWS.
MAX_ITEM_BYTES = 256 * 1024


class ItemsError(Exception):
    """Reading items (``States.ItemReaderFailed``) or writing results (``States.ResultWriterFailed``)
    failed; the Map Run fails with ``error`` and ``cause``."""

    def __init__(self, cause: str, error: str = errors.ITEM_READER_FAILED) -> None:
        super().__init__(cause)
        self.error, self.cause = error, cause

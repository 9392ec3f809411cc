"""stepforge: Amazon States Language state machines on your own machines, behind the Step Functions API."""

__version__ = "0.1.0"

from stepforge.tasks.approval import approval_links
from stepforge.tasks.functions import function
from stepforge.tasks.worker import activity

__all__ = ["__version__", "activity", "approval_links", "function"]

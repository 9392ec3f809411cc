"""stepforge: Amazon States Language state machines on your own machines, behind the Step Functions API."""

__version__ = "0.1.0"

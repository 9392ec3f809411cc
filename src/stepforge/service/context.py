"""What every service operation works with: the store, the engine, and the deployment's identity."""

from __future__ import annotations

from dataclasses import dataclass

from stepforge.engine.engine import Engine
from stepforge.service.arns import DEFAULT_ACCOUNT, DEFAULT_REGION
from stepforge.store.base import Store


@dataclass(frozen=True, slots=True)
class ServiceContext:
    store: Store
    engine: Engine
    account: str = DEFAULT_ACCOUNT
    default_region: str = DEFAULT_REGION
    max_open_executions: int = 1_000_000


@dataclass(frozen=True, slots=True)
class Request:
    """One API call: its parameters and the region of its SigV4 credential scope."""

    params: dict[str, object]
    region: str

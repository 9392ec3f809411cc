"""What every service operation works with: the store, the engine, and the deployment's identity."""

from __future__ import annotations

from dataclasses import dataclass

from stepforge.engine.engine import Engine
from stepforge.service.arns import DEFAULT_ACCOUNT, DEFAULT_REGION
from stepforge.store.base import Reads, UnitOfWork


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """A read's context: ``store`` reads (the deployment's store, or a write's unit of work).

    A write gets a :class:`WriteContext` through :meth:`within` — the API layer runs it as
    ``engine.write(lambda tx: handler(ctx.within(tx), request))`` — so it writes only through the
    unit of work it was given, and mypy proves no service code writes anywhere else.
    """

    store: Reads
    engine: Engine
    account: str = DEFAULT_ACCOUNT
    default_region: str = DEFAULT_REGION
    max_open_executions: int = 1_000_000

    def within(self, tx: UnitOfWork) -> WriteContext:
        """This context with ``tx`` as its store: what a write runs with."""
        return WriteContext(tx, self.engine, self.account, self.default_region, self.max_open_executions)


@dataclass(frozen=True, slots=True)
class WriteContext(ServiceContext):
    """A write's context: ``store`` is the unit of work of the transaction the write runs in."""

    store: UnitOfWork


@dataclass(frozen=True, slots=True)
class Request:
    """One API call: its parameters and the region of its SigV4 credential scope."""

    params: dict[str, object]
    region: str

"""Python functions that Task states call as Lambda functions, mapped by name.

    import stepforge

    @stepforge.function("resize-image", timeout=30)
    def resize(event, context):
        return {"size": event["size"] // 2}

``stepforge serve --functions myapp.tasks`` registers every public function of ``myapp.tasks``
under its own name (or the name its decorator gives); a config file maps names explicitly
(``resize = "myapp.images:resize"``). A handler has Lambda's signature ``handler(event, context)``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

Handler = Callable[[Any, Any], Any]
H = TypeVar("H", bound=Callable[..., Any])

#: Seconds a handler may run before its call fails with Sandbox.Timedout (Lambda's default is 3).
DEFAULT_TIMEOUT = 60.0
_MARK = "__stepforge_function__"


@dataclass(frozen=True, slots=True)
class Function:
    """One registered function: its name, handler, timeout and import target (for process isolation)."""

    name: str
    handler: Handler
    timeout: float = DEFAULT_TIMEOUT
    target: str = ""          # "module:attribute", how a worker process imports it
    isolation: str | None = None  # "thread" or "process"; None: the deployment's default


def function(name: str | None = None, *, timeout: float | None = None,
             isolation: str | None = None) -> Callable[[H], H]:
    """Mark ``handler(event, context)`` as the Lambda-style function ``name`` (default: its own name)."""

    def mark(handler: H) -> H:
        setattr(handler, _MARK, (name or handler.__name__, timeout, isolation))
        return handler

    return mark


class FunctionRegistry:
    """The functions of one deployment, by name."""

    def __init__(self) -> None:
        self._functions: dict[str, Function] = {}

    def __len__(self) -> int:
        return len(self._functions)

    def __iter__(self) -> Iterator[Function]:
        return iter(self._functions.values())

    def get(self, name: str) -> Function | None:
        return self._functions.get(name)

    def add(self, name: str, handler: Handler, *, timeout: float | None = None, target: str = "",
            isolation: str | None = None) -> Function:
        if not callable(handler):
            raise TypeError(f"function {name!r}: {handler!r} is not callable")
        if isolation not in (None, "thread", "process"):
            raise ValueError(f"function {name!r}: isolation must be 'thread' or 'process', not {isolation!r}")
        added = Function(name, handler, DEFAULT_TIMEOUT if timeout is None else float(timeout), target, isolation)
        self._functions[name] = added
        return added

    def load_module(self, module_name: str) -> list[str]:
        """Register a module's decorated functions and its other public functions; returns their names."""
        module = importlib.import_module(module_name)
        names = []
        for attribute, value in vars(module).items():
            marked = getattr(value, _MARK, None)
            target = f"{module_name}:{attribute}"
            if marked is not None:
                name, timeout, isolation = marked
                names.append(self.add(name, value, timeout=timeout, target=target, isolation=isolation).name)
            elif (inspect.isfunction(value) and value.__module__ == module.__name__
                  and not attribute.startswith("_")):
                names.append(self.add(attribute, value, target=target).name)
        return names

    def load_target(self, name: str, target: str, *, timeout: float | None = None,
                    isolation: str | None = None) -> Function:
        """Register ``module:attribute`` (or ``module.attribute``) under ``name``."""
        return self.add(name, import_target(target), timeout=timeout, target=target, isolation=isolation)


def import_target(target: str) -> Handler:
    """The object a ``module:attribute`` (or ``module.attribute``) target names."""
    module_name, sep, attribute = target.partition(":")
    if not sep:
        module_name, _, attribute = target.rpartition(".")
    if not module_name or not attribute:
        raise ValueError(f"{target!r} is not of the form 'module:function'")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise TypeError(f"{target!r} is not callable")
    handler: Handler = value
    return handler

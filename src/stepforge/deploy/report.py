"""Showing a change set: one row per resource, then the definition diffs (rich, on the given console)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from stepforge.deploy.changes import Change

STYLES = {"create": "green", "update": "yellow", "unchanged": "dim", "ignored": "magenta"}


def redacted(changes: list[Change], secrets: list[str]) -> list[Change]:
    """The changes with every secret (a NoEcho parameter's value) in their details and diffs as ``****``."""
    return [replace(c, details=tuple(_mask(d, secrets) for d in c.details), diff=_mask(c.diff, secrets))
            for c in changes]


def _mask(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "****")
    return text


def show_changes(console: Console, changes: list[Change], title: str) -> None:
    """The change set as a table, each definition diff after it, and the counts per action."""
    table = Table(title=title, title_justify="left")
    for column in ("action", "logical id", "type", "name", "details"):
        table.add_column(column, overflow="fold")
    for change in changes:
        style = STYLES[change.action]
        table.add_row(f"[{style}]{change.action}[/]", escape(change.logical_id), escape(change.type),
                      escape(change.name), escape("\n".join(change.details)))
    console.print(table)
    for change in changes:
        if change.diff:
            console.print(f"[bold]{escape(change.logical_id)}[/]: definition")
            console.print(Syntax(change.diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True))
    console.print(summary(changes))


def summary(changes: Iterable[Change]) -> str:
    counts = Counter(change.action for change in changes)
    text = f"{counts['create']} to create, {counts['update']} to update, {counts['unchanged']} unchanged"
    return text + (f", {counts['ignored']} ignored" if counts["ignored"] else "")


def show_outputs(console: Console, outputs: Mapping[str, Any], secrets: list[str]) -> None:
    if not outputs:
        return
    table = Table(title="Outputs", title_justify="left")
    table.add_column("key")
    table.add_column("value", overflow="fold")
    for key, value in outputs.items():
        table.add_row(escape(key), escape(_mask(str(value), secrets)))
    console.print(table)

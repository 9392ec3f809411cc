"""Render ``stepforge``'s argparse parser into ``docs/cli.md``: every command, subcommand and option.

    python scripts/gen_cli_docs.py            # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check    # exit 1 (with a diff) when docs/cli.md is out of date

The page is built from ``stepforge.cli.build_parser()`` alone, without argparse's terminal-width
formatting, so the same parser gives the same page on any terminal.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterator
from pathlib import Path

from stepforge.cli import build_parser

PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
HEADER = """# The `stepforge` command line

Generated from the parser by `scripts/gen_cli_docs.py`; `tests/docs/test_cli_docs.py` fails when this page
and the parser differ. Each command also answers `--help`.
"""


def render(parser: argparse.ArgumentParser) -> str:
    """The Markdown page for ``parser``: a summary table, then one section per (sub)command."""
    commands = list(_commands(parser, parser.prog))
    lines = [HEADER, "| command | what it does |", "|---|---|"]
    lines += [f"| [`{path}`](#{_anchor(path)}) | {_cell(help_)} |" for path, help_, _ in commands]
    for path, help_, sub in commands:
        lines += ["", f"## {path}", "", help_ + ("." if help_ and not help_.endswith(".") else ""), "",
                  "```", _usage(path, sub), "```"]
        rows = [_row(action) for action in sub._actions if _documented(action)]
        if rows:
            lines += ["", "| argument | default | meaning |", "|---|---|---|", *rows]
    return "\n".join(lines) + "\n"


def _commands(parser: argparse.ArgumentParser, prog: str) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """``(command path, help, parser)`` for every leaf and intermediate command, in registration order."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            path = f"{prog} {name}"
            yield path, helps.get(name, ""), sub
            yield from _commands(sub, path)


def _documented(action: argparse.Action) -> bool:
    return not isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) and action.help != argparse.SUPPRESS


def _usage(path: str, parser: argparse.ArgumentParser) -> str:
    parts = [path]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            parts.append("{" + ",".join(action.choices) + "} ...")
        elif not action.option_strings:
            parts.append(_metavar(action) + (" ..." if action.nargs in ("+", "*") else ""))
        else:
            parts.append(_optional_usage(action))
    return " ".join(parts)


def _optional_usage(action: argparse.Action) -> str:
    flag = action.option_strings[-1] if action.option_strings[-1].startswith("--") else action.option_strings[0]
    text = flag if action.nargs == 0 else f"{flag} {_metavar(action)}"
    return text if action.required else f"[{text}]"


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(str(choice) for choice in action.choices) + "}"
    return action.dest.upper() if action.option_strings else action.dest


def _row(action: argparse.Action) -> str:
    names = ", ".join(f"`{name}`" for name in action.option_strings) or f"`{_metavar(action)}`"
    if action.option_strings and action.nargs != 0:
        names += f" `{_metavar(action)}`"
    return f"| {names} | {_default(action)} | {_cell(_meaning(action))} |"


def _default(action: argparse.Action) -> str:
    if action.required or not action.option_strings:
        return "required" if action.nargs not in ("?", "*") else ""
    if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def _meaning(action: argparse.Action) -> str:
    text = action.help or ""
    if isinstance(action, argparse._AppendAction):
        text += "" if "repeatable" in text else (" (repeatable)" if text else "repeatable")
    return text


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _anchor(path: str) -> str:
    return "-".join(path.lower().split())


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--check", action="store_true", help="compare instead of writing")
    args = options.parse_args(argv)
    page = render(build_parser())
    if not args.check:
        PAGE.write_text(page)
        return 0
    current = PAGE.read_text() if PAGE.exists() else ""
    if current == page:
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), page.splitlines(True),
                                               "docs/cli.md", "generated from stepforge.cli.build_parser()"))
    print("\ndocs/cli.md is out of date: run `python scripts/gen_cli_docs.py`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

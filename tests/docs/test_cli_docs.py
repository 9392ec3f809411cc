"""docs/cli.md is the parser rendered by scripts/gen_cli_docs.py: a new command or option changes the page."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from stepforge.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_docs_cli_md_is_what_the_generator_makes_of_the_parser() -> None:
    checked = subprocess.run([sys.executable, "scripts/gen_cli_docs.py", "--check"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_command_and_option_of_the_parser_is_on_the_page() -> None:
    page = (ROOT / "docs" / "cli.md").read_text()
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name, command in commands.items():
        assert f"## stepforge {name}" in page
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert all(f"`{option}`" in page for option in action.option_strings), (name, action.option_strings)


def test_building_the_parser_starts_nothing_and_parses_every_command() -> None:
    parser = build_parser()
    assert parser.parse_args(["serve"]).port == 8083
    assert parser.parse_args(["db", "migrate", "--data-dir", "d"]).db_command == "migrate"
    assert parser.parse_args(["run", "hello.asl.json", "--input", "{}"]).definition == Path("hello.asl.json")

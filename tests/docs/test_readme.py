"""README.md works as written: each ```sh/```bash and ```python block runs, in order, against a fresh
``stepforge serve`` on a free port (the README's ``127.0.0.1:8083`` pointed at it), from a directory laid
out like a clone in which ``make run`` ran. A block that cannot run in a test carries the marker
``<!-- readme-test: skip (why) -->`` on the line just above it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server_kit import serve

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RUNNABLE = {"sh": "sh", "bash": "sh", "python": "python"}
SKIP = re.compile(r"<!-- readme-test: skip \((?P<why>[^)]+)\) -->")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")
BLOCK_SECONDS = 180


@dataclass(frozen=True)
class Block:
    """A fenced block of a Markdown page: its language, first line number (1-based) and text."""

    lang: str
    line: int
    text: str
    skip: str | None  # the reason given by a skip marker just above it


def blocks(markdown: str) -> list[Block]:
    """Every top-level fenced block of ``markdown`` (indented ones belong to lists and are not read)."""
    found: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = SKIP.fullmatch(above.strip())
        found.append(Block(opening["lang"], index + 2, "\n".join(lines[index + 1:end]),
                           marker["why"] if marker else None))
        index = end + 1
    return found


def run_blocks(found: list[Block], workdir: Path, env: dict[str, str], port: int) -> int:
    """Run the runnable blocks in order, the shell's environment and directory carried from one block to
    the next; fail on the first block that exits non-zero, showing it and its output. Returns how many ran."""
    state = workdir.parent / "readme-env"
    ran = 0
    for block in found:
        if block.skip is not None or block.lang not in RUNNABLE:
            continue
        text = block.text.replace("127.0.0.1:8083", f"127.0.0.1:{port}")
        if RUNNABLE[block.lang] == "sh":
            command = ["bash", "-e", "-o", "pipefail", "-c", f"{text}\nenv -0 > {state}"]
        else:
            command = [sys.executable, "-c", text]
        done = subprocess.run(command, cwd=env["PWD"], env=env, capture_output=True, text=True,
                              timeout=BLOCK_SECONDS, check=False)
        if done.returncode != 0:
            pytest.fail(f"README.md line {block.line}: the ```{block.lang} block exited {done.returncode}\n"
                        f"--- block ---\n{text}\n--- output ---\n{done.stdout}{done.stderr}", pytrace=False)
        if RUNNABLE[block.lang] == "sh":
            env = dict(item.split("=", 1) for item in state.read_text().split("\0") if "=" in item)
        ran += 1
    return ran


def clone_like(workdir: Path) -> None:
    """``workdir`` as the top of a clone: each top-level entry of the repository linked in, no data;
    ``examples/`` copied, as the README's commands write into it."""
    workdir.mkdir()
    for entry in ROOT.iterdir():
        if entry.name == "examples":
            shutil.copytree(entry, workdir / entry.name, ignore=shutil.ignore_patterns("__pycache__", ".stepforge"))
        elif entry.name not in (".git", ".stepforge", "history.json"):
            (workdir / entry.name).symlink_to(entry)


def serve_args(markdown: str) -> list[str]:
    """The ``SERVE_ARGS`` the README tells ``make run`` to start with (the example's functions and buckets)."""
    found = re.search(r'make run SERVE_ARGS="([^"]+)"', markdown)
    return shlex.split(found[1]) if found else []


def scrubbed_environment(workdir: Path) -> dict[str, str]:
    """This process's environment without AWS settings (the README must give them) and with a HOME of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = workdir.parent / "home"
    home.mkdir()
    return {**env, "HOME": str(home), "PWD": str(workdir)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A fresh ``stepforge serve`` as the README's ``make run`` starts it (data in ./.stepforge), on a free port."""
    workdir = tmp_path / "clone"
    clone_like(workdir)
    with serve(["--data-dir", str(workdir / ".stepforge"), *serve_args(README.read_text())],
               log=tmp_path / "serve.stderr.log", cwd=workdir, startup=30, shutdown=15) as port:
        yield workdir, port


def test_every_shell_and_python_block_of_the_readme_runs_against_a_fresh_server(server: tuple[Path, int]) -> None:
    workdir, port = server
    found = blocks(README.read_text())
    ran = run_blocks(found, workdir, scrubbed_environment(workdir), port)
    assert ran >= 8, f"only {ran} blocks of README.md ran"


def test_each_skipped_block_says_why_and_nothing_else_is_skipped() -> None:
    text = README.read_text()
    skipped = [block for block in blocks(text) if block.skip is not None]
    assert len(skipped) == text.count("readme-test: skip (")
    assert all(block.lang in RUNNABLE and len(block.skip or "") > 10 for block in skipped)
    assert text.count("<!-- readme-test") == len(skipped), "a marker that is not just above a block"


def test_a_failing_block_fails_the_run_and_shows_the_block_and_its_output(tmp_path: Path) -> None:
    page = "# x\n\n```sh\nexport GREETING=hello\n```\n\n```sh\necho \"$GREETING, stderr\" >&2\nfalse\n```\n"
    workdir = tmp_path / "w"
    workdir.mkdir()
    with pytest.raises(pytest.fail.Exception) as failed:
        run_blocks(blocks(page), workdir, {"PATH": os.environ["PATH"], "PWD": str(workdir)}, 1)
    assert "README.md line 8" in str(failed.value) and "hello, stderr" in str(failed.value)

"""docs/configuration.md lists every key of the --config file that the code reads: each section's loader
runs on a file with every section, through a table that records the keys asked of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stepforge.api import credentials, throttle_config
from stepforge.engine import logs_config
from stepforge.observe import config as observe_config
from stepforge.tasks import config as task_config

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
#: The modules that read the --config file, each with its loader.
READERS = {task_config: lambda path: task_config.load(path), credentials: credentials.load_auth,
           throttle_config: throttle_config.load_throttle,
           logs_config: lambda path: logs_config.load_logs(path, path.parent / "data"),
           observe_config: observe_config.load_observe}
HASH = "scrypt$16384$8$1$" + "c2FsdHNhbHRzYWx0c2FsdA==" + "$" + "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g="
#: A file with every section, one entry in each table of names.
EVERYTHING: dict[str, Any] = {
    "functions": {"isolation": "thread", "threads": 4, "processes": 1, "dumps": "json:dumps",
                  "loads": {"handler": "json:loads", "timeout": 5, "isolation": "thread"}},
    "mocks": {"file": "mocks.json"},
    "http": {"allow": ["localhost"], "timeout": 5, "response_limit": 1024,
             "connections": {"orders": {"hosts": ["api.example.com"]}}},
    "passthrough": {"endpoint_url": "http://127.0.0.1:1", "poll_seconds": 1, "endpoints": {"sqs": "http://127.0.0.1:2"}},
    "s3": {"buckets": {"media": "media"}},
    "approval": {"base_url": "http://127.0.0.1:8083", "secret": "s"},
    "auth": {"keys": {"AKID": "secret"}, "permissions": {"AKID": "read-only"}, "hosts": ["sfn.example.com"],
             "regions": ["eu-west-1"], "users": {"alice": {"password": HASH, "role": "admin"}}, "session_hours": 1},
    "throttle": {"enabled": True, "operations": {"StartExecution": {"bucket": 10, "refill": 1}}},
    "logs": {"dir": "logs", "stdout": False, "groups": {"orders": "-"}},
    "metrics": {"enabled": True, "node": "n", "bearer_token": "t", "public": False},
    "tracing": {"otlp_endpoint": "http://127.0.0.1:4318/v1/traces", "service_name": "s"},
    "audit": {"enabled": True, "path": "audit.jsonl", "max_bytes": 1024, "keep": 2},
}


class Recording(dict[str, Any]):
    """A table that notes, in ``asked``, the dotted path of every key read from it or from tables in it
    (a key reached by iterating a table of names is noted as ``NAME``)."""

    def __init__(self, data: dict[str, Any], path: str, asked: set[str]) -> None:
        super().__init__(data)
        self.path, self.asked = path, asked

    def _wrap(self, key: str, value: Any) -> Any:
        return Recording(value, self._key(key), self.asked) if isinstance(value, dict) else value

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(self._key(key))
        return self._wrap(key, super().get(key, default))

    def __getitem__(self, key: str) -> Any:
        self.asked.add(self._key(key))
        return self._wrap(key, super().__getitem__(key))

    def __contains__(self, key: object) -> bool:
        self.asked.add(self._key(str(key)))
        return super().__contains__(key)

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        return iter([(key, self._wrap("NAME", value)) for key, value in super().items()])

    def values(self) -> Iterator[Any]:  # type: ignore[override]
        return iter([self._wrap("NAME", value) for value in super().values()])


def keys_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    asked: set[str] = set()
    (tmp_path / "mocks.json").write_text("{}")
    config = tmp_path / "stepforge.toml"
    config.write_text("")
    for module, loader in READERS.items():
        monkeypatch.setattr(module, "read_config", lambda path: Recording(EVERYTHING, "", asked))
        loader(config)
    return asked


def documented() -> set[str]:
    return set(re.findall(r"^\| `([a-z][\w.]*)` \|", PAGE.read_text(), re.MULTILINE))


def test_every_key_the_loaders_read_is_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = documented()
    parts = [key.split(".") for key in page]
    tables = {".".join(part[:end]) for part in parts for end in range(1, len(part))}
    missing = keys_read(tmp_path, monkeypatch) - page - tables
    assert missing == set(), "keys read by the code but missing from docs/configuration.md"


def test_every_module_that_reads_the_config_file_is_checked() -> None:
    readers = {path.relative_to(ROOT / "src").with_suffix("").as_posix().replace("/", ".")
               for path in (ROOT / "src" / "stepforge").rglob("*.py")
               if "import ConfigFileError, read_config" in path.read_text() or "import read_config" in path.read_text()}
    assert readers == {module.__name__ for module in READERS}


def test_the_page_documents_only_keys_of_known_sections() -> None:
    sections = {key.split(".")[0] for key in documented()}
    assert sections == set(EVERYTHING)

"""``[metrics]``, ``[tracing]`` and ``[audit]`` in the --config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepforge.observe.config import ObserveConfigError, default_node, load_observe


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stepforge.toml"
    path.write_text(text)
    return path


def test_defaults_observe_everything_but_traces() -> None:
    config = load_observe(None)
    assert (config.metrics, config.audit, config.otlp_endpoint, config.node) == (True, True, None, default_node())


def test_every_setting_is_read(tmp_path: Path) -> None:
    config = load_observe(write(tmp_path, """
[metrics]
enabled = false
node = "api-1"
bearer_token = "t"
public = true
[tracing]
otlp_endpoint = "http://collector:4318/v1/traces"
service_name = "orders"
[audit]
enabled = false
path = "/var/log/trail.jsonl"
max_bytes = 1000
keep = 3
"""))
    assert (config.metrics, config.node, config.metrics_token, config.metrics_public) == (False, "api-1", "t", True)
    assert (config.otlp_endpoint, config.service_name) == ("http://collector:4318/v1/traces", "orders")
    assert (config.audit, config.audit_path, config.audit_max_bytes, config.audit_keep) \
        == (False, Path("/var/log/trail.jsonl"), 1000, 3)


@pytest.mark.parametrize(("text", "field"), [
    ("[metrics]\nenabled = 'yes'\n", "metrics.enabled"),
    ("[audit]\nmax_bytes = 0\n", "audit.max_bytes"),
    ("[audit]\nkeep = true\n", "audit.keep"),
    ("tracing = 3\n", "[tracing]"),
])
def test_a_wrong_setting_names_its_field(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ObserveConfigError, match=field.replace("[", r"\[").replace("]", r"\]")):
        load_observe(write(tmp_path, text))

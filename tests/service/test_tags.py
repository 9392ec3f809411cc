"""Tags on activities and state machines: what a request may carry."""

from __future__ import annotations

import pytest

from stepforge.service import activities
from stepforge.service.errors import ValidationException
from stepforge.testing import Harness


def test_a_tag_without_a_key_is_a_validation_error_not_a_failure() -> None:
    """Found by fuzz/api_fuzz.py: it answered 500 (KeyError) before."""
    harness = Harness()
    with pytest.raises(ValidationException, match=r"tags\.2\.member\.key"):
        harness.call(activities.create, name="tagged", tags=[{"key": "a"}, {"value": "no key"}])
    assert harness.store.get_activity("arn:aws:states:us-east-1:000000000000:activity:tagged") is None


def test_tags_with_keys_are_kept() -> None:
    harness = Harness()
    arn = harness.call(activities.create, name="tagged", tags=[{"key": "team", "value": "core"}])["activityArn"]
    assert harness.store.get_activity(arn).tags == {"team": "core"}  # type: ignore[union-attr]

"""The configurations a state machine keeps: logging, tracing, encryption (stored and returned as given)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stepforge.service.errors import InvalidEncryptionConfiguration, InvalidLoggingConfiguration

DEFAULT_LOGGING: dict[str, Any] = {"level": "OFF", "includeExecutionData": False}
DEFAULT_TRACING: dict[str, Any] = {"enabled": False}
DEFAULT_ENCRYPTION: dict[str, Any] = {"type": "AWS_OWNED_KEY"}


def logging(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The request's loggingConfiguration with AWS's defaults filled in, or None if absent."""
    value = params.get("loggingConfiguration")
    if value is None:
        return None
    config = {**DEFAULT_LOGGING, **value}
    if config["level"] != "OFF" and not config.get("destinations"):
        raise InvalidLoggingConfiguration(
            "Invalid Logging Configuration: Must specify exactly one Log Destination if logging level is not OFF.")
    if len(config.get("destinations") or []) > 1:
        raise InvalidLoggingConfiguration("Invalid Logging Configuration: Must specify exactly one Log Destination.")
    return config


def tracing(params: Mapping[str, Any]) -> dict[str, Any] | None:
    value = params.get("tracingConfiguration")
    return None if value is None else {**DEFAULT_TRACING, **value}


def encryption(params: Mapping[str, Any]) -> dict[str, Any] | None:
    value = params.get("encryptionConfiguration")
    if value is None:
        return None
    if value.get("type") == "CUSTOMER_MANAGED_KMS_KEY" and not value.get("kmsKeyId"):
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsKeyId is required for CUSTOMER_MANAGED_KMS_KEY")
    if value.get("type") == "AWS_OWNED_KEY" and value.get("kmsKeyId"):
        raise InvalidEncryptionConfiguration(
            "Invalid Encryption Configuration: kmsKeyId must not be set for AWS_OWNED_KEY")
    return dict(value)

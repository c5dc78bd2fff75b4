"""Configuration of a service, read from ``RAPPORT_*`` environment variables.

A service subclasses :class:`ServiceSettings` and only sets its name and port; everything
else defaults to the local development stack (PostgreSQL on 55432, Kafka on 59092, Redis on
56379) with one database per service.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

DEV_AUTH_SECRET = "rapport-development-secret-not-for-production-use"
"""Signs tokens on a developer's machine; refused when ``RAPPORT_ENV=production``."""

DEV_PII_KEY = base64.b64encode(b"rapport-dev-pii-key-32-bytes-ok!").decode()
"""Encrypts personal data on a developer's machine; refused when ``RAPPORT_ENV=production``."""

MIN_AUTH_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken the signature


def default_database_url(service_name: str) -> str:
    database = "rapport_" + service_name.replace("-", "_")
    return f"postgresql://rapport:rapport@127.0.0.1:55432/{database}"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    service_name: str
    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="", description="Empty means the service's own database on the local server."
    )
    kafka_bootstrap: str = "127.0.0.1:59092"
    redis_url: str = "redis://127.0.0.1:56379/0"
    topic_prefix: str = ""
    kafka_partitions: int = Field(default=6, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = Field(ge=1, le=65535)
    auth_secret: SecretStr = SecretStr(DEV_AUTH_SECRET)
    pii_key: SecretStr = Field(
        default=SecretStr(DEV_PII_KEY), description="Base64 of 32 random bytes."
    )
    clock: Literal["system", "shared"] = "system"
    log_level: str = "INFO"
    relay_poll_interval: float = Field(default=0.1, gt=0)
    timer_poll_interval: float = Field(default=0.5, gt=0)

    @field_validator("auth_secret")
    @classmethod
    def _long_enough(cls, secret: SecretStr) -> SecretStr:
        if len(secret.get_secret_value().encode()) < MIN_AUTH_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_AUTH_SECRET_BYTES} bytes long")
        return secret

    @field_validator("pii_key")
    @classmethod
    def _thirty_two_bytes(cls, key: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError("must be base64 (e.g. `openssl rand -base64 32`)") from error
        if len(raw) != 32:
            raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
        return key

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        name = level.upper()
        if name not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {level!r}")
        return name

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if not self.database_url:
            self.database_url = default_database_url(self.service_name)
        self._check_development_secrets()
        return self

    def _check_development_secrets(self) -> None:
        defaults = [
            name
            for name, value, default in (
                ("RAPPORT_AUTH_SECRET", self.auth_secret, DEV_AUTH_SECRET),
                ("RAPPORT_PII_KEY", self.pii_key, DEV_PII_KEY),
            )
            if value.get_secret_value() == default
        ]
        if not defaults or self.env == "development":
            return
        names = " and ".join(defaults)
        if self.env == "production":
            raise ValueError(
                f"{names} still hold the public development default; "
                "set your own before running with RAPPORT_ENV=production"
            )
        log.warning("%s use the development default while RAPPORT_ENV=%s", names, self.env)

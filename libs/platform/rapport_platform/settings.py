"""Configuration of a service, read from ``RAPPORT_*`` environment variables.

A service subclasses :class:`ServiceSettings` and only sets its name and port; everything
else defaults to the local development stack (PostgreSQL on 55432, Kafka on 59092 with its
SASL/SCRAM user ``rapport``, Redis on 56379) with one database per service.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from rapport_events.kafka_security import KafkaConnection, SaslMechanism, SecurityProtocol

log = logging.getLogger(__name__)

DEV_AUTH_SECRET = "rapport-development-secret-not-for-production-use"
"""Signs tokens on a developer's machine; refused when ``RAPPORT_ENV=production``."""

DEV_PII_KEY = base64.b64encode(b"rapport-dev-pii-key-32-bytes-ok!").decode()
"""Encrypts personal data on a developer's machine; refused when ``RAPPORT_ENV=production``."""

DEV_KAFKA_PASSWORD = "rapport-local-kafka"
"""The local broker's password for the platform's user ``rapport`` (deploy/local/stack.py
creates that user); refused when ``RAPPORT_ENV=production``."""

MIN_AUTH_SECRET_BYTES = 32  # HS256 keys shorter than the hash output weaken the signature


def default_database_url(service_name: str) -> str:
    database = "rapport_" + service_name.replace("-", "_")
    return f"postgresql://rapport:rapport@127.0.0.1:55432/{database}"


class KafkaSettings(BaseSettings):
    """Where the Kafka cluster is and how to log in to it; a tool that only talks to Kafka
    reads these alone."""

    model_config = SettingsConfigDict(env_prefix="RAPPORT_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:59092"
    kafka_security_protocol: SecurityProtocol = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str = "rapport"
    kafka_password: SecretStr = SecretStr(DEV_KAFKA_PASSWORD)

    def kafka_connection(self) -> KafkaConnection:
        """Where and as whom the service's producers, consumers and admin client connect."""
        return KafkaConnection(
            bootstrap_servers=self.kafka_bootstrap,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            username=self.kafka_username,
            password=self.kafka_password.get_secret_value(),
        )


class ServiceSettings(KafkaSettings):
    service_name: str
    env: Literal["development", "test", "production"] = "development"
    database_url: str = Field(
        default="", description="Empty means the service's own database on the local server."
    )
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
        self._check_kafka_login()
        self._check_development_secrets()
        return self

    def _check_kafka_login(self) -> None:
        """Production authenticates every Kafka client: without it any process that reaches
        the brokers could write any brand's events."""
        if self.env == "production" and self.kafka_security_protocol == "PLAINTEXT":
            raise ValueError(
                "RAPPORT_KAFKA_SECURITY_PROTOCOL=PLAINTEXT is refused with RAPPORT_ENV=production; "
                "use SASL_SSL with the service's SCRAM user"
            )
        login = (self.kafka_username, self.kafka_password.get_secret_value())
        if self.kafka_security_protocol != "PLAINTEXT" and not all(login):
            raise ValueError(
                "RAPPORT_KAFKA_USERNAME and RAPPORT_KAFKA_PASSWORD are needed with "
                f"RAPPORT_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol}"
            )

    def _check_development_secrets(self) -> None:
        secrets = [
            ("RAPPORT_AUTH_SECRET", self.auth_secret, DEV_AUTH_SECRET),
            ("RAPPORT_PII_KEY", self.pii_key, DEV_PII_KEY),
        ]
        if self.kafka_security_protocol != "PLAINTEXT":
            secrets.append(("RAPPORT_KAFKA_PASSWORD", self.kafka_password, DEV_KAFKA_PASSWORD))
        defaults = [name for name, value, default in secrets if value.get_secret_value() == default]
        if not defaults or self.env == "development":
            return
        names = " and ".join(defaults)
        if self.env == "production":
            raise ValueError(
                f"{names} still hold the public development default; "
                "set your own before running with RAPPORT_ENV=production"
            )
        log.warning("%s use the development default while RAPPORT_ENV=%s", names, self.env)

import base64
import logging
import os

import pytest
from pydantic import Field, ValidationError
from rapport_platform.settings import DEV_AUTH_SECRET, ServiceSettings

REAL_SECRET = "a-production-secret-that-is-long-enough-42"
REAL_KEY = base64.b64encode(bytes(range(32))).decode()


class OrdersSettings(ServiceSettings):
    service_name: str = "service-orders"
    http_port: int = Field(default=8102, ge=1, le=65535)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("RAPPORT_"):
            monkeypatch.delenv(name)


def test_a_subclass_only_names_itself() -> None:
    settings = OrdersSettings()
    assert settings.database_url == (
        "postgresql://rapport:rapport@127.0.0.1:55432/rapport_service_orders"
    )
    assert settings.http_port == 8102
    assert settings.kafka_bootstrap == "127.0.0.1:59092"
    assert settings.redis_url == "redis://127.0.0.1:56379/0"
    assert settings.kafka_partitions == 6
    assert settings.env == "development"
    assert settings.clock == "system"
    assert settings.auth_secret.get_secret_value() == DEV_AUTH_SECRET


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_DATABASE_URL", "postgresql://u:p@db:5432/orders")
    monkeypatch.setenv("RAPPORT_HTTP_PORT", "9000")
    monkeypatch.setenv("RAPPORT_CLOCK", "shared")
    monkeypatch.setenv("RAPPORT_TOPIC_PREFIX", "t1.")
    settings = OrdersSettings()
    assert settings.database_url == "postgresql://u:p@db:5432/orders"
    assert settings.http_port == 9000
    assert settings.clock == "shared"
    assert settings.topic_prefix == "t1."


def test_production_refuses_the_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_ENV", "production")
    with pytest.raises(ValidationError, match="RAPPORT_AUTH_SECRET and RAPPORT_PII_KEY"):
        OrdersSettings()
    monkeypatch.setenv("RAPPORT_AUTH_SECRET", REAL_SECRET)
    with pytest.raises(ValidationError, match="RAPPORT_PII_KEY still hold"):
        OrdersSettings()
    monkeypatch.setenv("RAPPORT_PII_KEY", REAL_KEY)
    assert OrdersSettings().env == "production"


def test_outside_development_the_default_secrets_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RAPPORT_ENV", "test")
    with caplog.at_level(logging.WARNING):
        OrdersSettings()
    assert "development default while RAPPORT_ENV=test" in caplog.text


def test_a_short_auth_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_AUTH_SECRET", "short")
    with pytest.raises(ValidationError, match="auth_secret"):
        OrdersSettings()


@pytest.mark.parametrize("key", ["###", base64.b64encode(b"sixteen bytes!!!").decode()])
def test_a_pii_key_must_be_32_base64_bytes(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("RAPPORT_PII_KEY", key)
    with pytest.raises(ValidationError, match="pii_key"):
        OrdersSettings()


def test_partitions_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_KAFKA_PARTITIONS", "0")
    with pytest.raises(ValidationError, match="kafka_partitions"):
        OrdersSettings()

import base64
import logging
import os

import pytest
from pydantic import Field, ValidationError
from rapport_platform.settings import DEV_AUTH_SECRET, DEV_KAFKA_PASSWORD, ServiceSettings

from deploy.local.stack_config import KAFKA_PASSWORD, KAFKA_SASL_MECHANISM, KAFKA_USER

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
    with pytest.raises(
        ValidationError, match="RAPPORT_AUTH_SECRET and RAPPORT_PII_KEY and RAPPORT_KAFKA_PASSWORD"
    ):
        OrdersSettings()
    monkeypatch.setenv("RAPPORT_AUTH_SECRET", REAL_SECRET)
    monkeypatch.setenv("RAPPORT_KAFKA_PASSWORD", "a-production-kafka-password")
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


def test_by_default_a_service_logs_in_as_the_local_stack_creates_it() -> None:
    connection = OrdersSettings().kafka_connection()
    assert connection.security_protocol == "SASL_PLAINTEXT"
    assert (connection.username, connection.password) == (KAFKA_USER, KAFKA_PASSWORD)
    assert connection.sasl_mechanism == KAFKA_SASL_MECHANISM
    assert DEV_KAFKA_PASSWORD == KAFKA_PASSWORD


def test_every_client_gets_the_login_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_KAFKA_BOOTSTRAP", "kafka-1:9093,kafka-2:9093")
    monkeypatch.setenv("RAPPORT_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("RAPPORT_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("RAPPORT_KAFKA_USERNAME", "service-orders")
    monkeypatch.setenv("RAPPORT_KAFKA_PASSWORD", "s3cret")
    options = OrdersSettings().kafka_connection().client_options()
    assert options["bootstrap_servers"] == "kafka-1:9093,kafka-2:9093"
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-256"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "service-orders",
        "s3cret",
    )
    assert options["ssl_context"] is not None


def test_plaintext_sends_no_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    options = OrdersSettings().kafka_connection().client_options()
    assert options == {"bootstrap_servers": "127.0.0.1:59092", "security_protocol": "PLAINTEXT"}


def test_the_password_never_shows_in_a_repr() -> None:
    settings = OrdersSettings()
    assert KAFKA_PASSWORD not in repr(settings)
    assert KAFKA_PASSWORD not in repr(settings.kafka_connection())


def test_an_unknown_protocol_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAPPORT_KAFKA_SECURITY_PROTOCOL", "SASL_PLAIN")
    with pytest.raises(ValidationError, match="kafka_security_protocol"):
        OrdersSettings()


def test_sasl_without_a_password_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_KAFKA_PASSWORD", "")
    with pytest.raises(ValidationError, match="RAPPORT_KAFKA_PASSWORD are needed"):
        OrdersSettings()


def test_production_refuses_an_unauthenticated_kafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAPPORT_ENV", "production")
    monkeypatch.setenv("RAPPORT_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    with pytest.raises(ValidationError, match="PLAINTEXT is refused"):
        OrdersSettings()

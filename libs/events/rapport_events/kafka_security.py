"""How a Kafka client reaches the cluster and proves who it is: one place for every client.

The platform's producers, consumers and admin clients, the tests' clients and the ingestion
tooling all build their aiokafka keyword arguments from a :class:`KafkaConnection`, so that
turning authentication on or off (``RAPPORT_KAFKA_SECURITY_PROTOCOL``) changes them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, cast, get_args

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256"]

SECURITY_PROTOCOLS: tuple[str, ...] = get_args(SecurityProtocol)
SASL_MECHANISMS: tuple[str, ...] = get_args(SaslMechanism)


@dataclass(frozen=True)
class KafkaConnection:
    """The bootstrap servers and, unless ``PLAINTEXT``, the SASL/SCRAM login to use."""

    bootstrap_servers: str
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str = ""
    password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.authenticates and not (self.username and self.password):
            raise ValueError(f"{self.security_protocol} needs a username and a password")

    @classmethod
    def parse(
        cls,
        bootstrap_servers: str,
        *,
        security_protocol: str,
        sasl_mechanism: str = "SCRAM-SHA-512",
        username: str = "",
        password: str = "",
    ) -> KafkaConnection:
        """A connection from untyped configuration (environment variables, say), checked."""
        if security_protocol not in SECURITY_PROTOCOLS:
            raise ValueError(f"unknown Kafka security protocol {security_protocol!r}")
        if sasl_mechanism not in SASL_MECHANISMS:
            raise ValueError(f"unknown SASL mechanism {sasl_mechanism!r}")
        return cls(
            bootstrap_servers,
            cast(SecurityProtocol, security_protocol),
            cast(SaslMechanism, sasl_mechanism),
            username,
            password,
        )

    @property
    def authenticates(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def as_user(self, username: str, password: str) -> KafkaConnection:
        """The same cluster under another principal (an integration's, say)."""
        return replace(self, username=username, password=password)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.authenticates:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.security_protocol == "SASL_SSL":
            from aiokafka.helpers import create_ssl_context

            # The system's trusted certificate authorities verify the brokers.
            options["ssl_context"] = create_ssl_context()
        return options

"""Structured logs: one JSON object per line on stdout.

Every line carries the service, the correlation id of the flow being served and, when a
span is active, its OpenTelemetry trace and span ids, so a log search and a trace view
lead to each other.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from rapport_platform.context import correlation_id_var

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class RapportJsonFormatter(JsonFormatter):
    def __init__(self, service_name: str) -> None:
        super().__init__()
        self.service_name = service_name

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.message
        log_data["service"] = self.service_name
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            log_data["trace_id"] = trace.format_trace_id(span_context.trace_id)
            log_data["span_id"] = trace.format_span_id(span_context.span_id)
        else:
            log_data["trace_id"] = None
            log_data["span_id"] = None
        log_data["correlation_id"] = correlation_id_var.get()
        super().add_fields(log_data, record, message_dict)


class _RapportHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def configure_logging(service_name: str, level: str | int = "INFO") -> None:
    """Send every log record, uvicorn's included, to stdout as JSON. Safe to call again."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _RapportHandler)]:
        root.removeHandler(handler)
    handler = _RapportHandler(sys.stdout)
    handler.setFormatter(RapportJsonFormatter(service_name))
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True

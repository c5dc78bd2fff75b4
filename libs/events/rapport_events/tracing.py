"""OpenTelemetry for events: one trace from the HTTP request to every consumer downstream.

The SDK tracer provider is always installed, so trace ids exist and travel with every event
even when nothing is exported; exporters are chosen by the standard variables
(``OTEL_TRACES_EXPORTER`` = ``otlp`` | ``console`` | ``none``, default ``none``;
``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_SERVICE_NAME``...).

The correlation id rides next to the trace: it names the business flow (one registration,
one timer) even where a trace is cut, and it is what the logs and envelopes carry.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

correlation_id_var: ContextVar[str | None] = ContextVar("rapport_correlation_id", default=None)
"""The correlation id of the flow being served (set by HTTP middleware and by consumers)."""

_propagator = TraceContextTextMapPropagator()
_configured: TracerProvider | None = None


def configure_tracing(service_name: str) -> TracerProvider:
    """Install the SDK tracer provider once per process, with exporters from ``OTEL_*``."""
    global _configured
    if _configured is not None:
        return _configured
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    for exporter in _exporters_from_environment():
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = provider
    return provider


def shutdown_tracing() -> None:
    """Flush spans still buffered (called on service shutdown)."""
    if _configured is not None:
        _configured.shutdown()


def _exporters_from_environment() -> list[SpanExporter]:
    names = os.environ.get("OTEL_TRACES_EXPORTER", "none")
    exporters: list[SpanExporter] = []
    for name in (part.strip() for part in names.split(",")):
        if name in ("", "none"):
            continue
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporters.append(OTLPSpanExporter())
        else:
            raise ValueError(
                f"OTEL_TRACES_EXPORTER={name!r} is not supported; use otlp, console or none"
            )
    return exporters


def tracer() -> trace.Tracer:
    return trace.get_tracer("rapport")


def current_trace_context() -> tuple[str | None, str | None]:
    """``(traceparent, tracestate)`` of the active span, for storing in an envelope."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent"), carrier.get("tracestate")


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id inside a W3C ``traceparent`` value."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    return parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None


@contextmanager
def continued_span(
    name: str,
    *,
    traceparent: str | None,
    tracestate: str | None = None,
    correlation_id: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: dict[str, str] | None = None,
) -> Iterator[Span]:
    """Run a block in a span continuing a stored trace context, with its correlation id.

    Used where work resumes outside the request that started it: a consumer handling an
    event, the relay publishing it, a timer firing days later.
    """
    carrier = {"traceparent": traceparent} if traceparent else {}
    if traceparent and tracestate:
        carrier["tracestate"] = tracestate
    parent = _propagator.extract(carrier)
    token = otel_context.attach(parent)
    correlation_token = correlation_id_var.set(correlation_id or correlation_id_var.get())
    try:
        with tracer().start_as_current_span(name, kind=kind, attributes=attributes) as span:
            yield span
    finally:
        correlation_id_var.reset(correlation_token)
        otel_context.detach(token)


def transport_headers() -> list[tuple[str, bytes]]:
    """W3C trace headers of the active span, for a Kafka record."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return [(key, value.encode()) for key, value in carrier.items()]

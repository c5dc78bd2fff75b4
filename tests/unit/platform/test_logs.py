import json
import logging
import sys
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from rapport_platform.context import correlation_id_var
from rapport_platform.logs import RapportJsonFormatter, configure_logging


def formatted(record: logging.LogRecord) -> dict[str, object]:
    line = RapportJsonFormatter("loyalty").format(record)
    assert "\n" not in line
    parsed: dict[str, object] = json.loads(line)
    return parsed


def record(message: str, **extra: object) -> logging.LogRecord:
    logger = logging.getLogger("rapport.test")
    made = logger.makeRecord("rapport.test", logging.WARNING, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_a_line_has_the_standard_fields() -> None:
    token = correlation_id_var.set("flow-1")
    try:
        line = formatted(record("points earned", member_id="m-1"))
    finally:
        correlation_id_var.reset(token)
    assert line["message"] == "points earned"
    assert line["level"] == "WARNING"
    assert line["logger"] == "rapport.test"
    assert line["service"] == "loyalty"
    assert line["correlation_id"] == "flow-1"
    assert line["member_id"] == "m-1"
    assert line["trace_id"] is None
    assert str(line["time"]).endswith("+00:00")


def test_a_line_inside_a_span_carries_its_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        line = formatted(record("inside"))
        context = span.get_span_context()
    assert line["trace_id"] == trace.format_trace_id(context.trace_id)
    assert line["span_id"] == trace.format_span_id(context.span_id)


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_root")
def test_configuring_twice_installs_one_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("identity", "info")
    configure_logging("identity", "DEBUG")
    ours = [h for h in logging.getLogger().handlers if getattr(h, "stream", None) is sys.stdout]
    assert len(ours) == 1
    assert logging.getLogger().level == logging.DEBUG
    logging.getLogger("uvicorn.error").info("server started")
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [(line["logger"], line["service"]) for line in lines] == [("uvicorn.error", "identity")]

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""A message the service cannot handle: logged once, inside its ERROR span, with what
becomes of it."""

import logging
from typing import Any

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.failures import SETTLED
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.log_records import RecordList
from tests.messages import MALFORMED_ORDER, NOT_JSON
from tests.spans import ORDERS, by_name, span_id, trace_id


@pytest.mark.parametrize(
    "message", [MALFORMED_ORDER, NOT_JSON], ids=["wrong-schema", "not-json"]
)
async def test_a_malformed_message_is_logged_in_its_error_span(
    test_broker: {{ broker.broker_class }},
    spans: InMemorySpanExporter,
    message: Any,
) -> None:
    capture = RecordList()
    logger = logging.getLogger("{{ cookiecutter.package_name }}.failures")
    logger.addHandler(capture)
    try:
        with pytest.raises(ValidationError):
            await test_broker.publish(
                message,
                **address(settings.orders_topic),
            )
    finally:
        logger.removeHandler(capture)

    process = by_name(spans.get_finished_spans())[f"{ORDERS} process"]
    assert process.status.status_code is StatusCode.ERROR
    (record,) = capture.records
    assert record.levelno == logging.ERROR
    assert "ValidationError" in record.getMessage()
    assert record.getMessage().endswith(SETTLED)
    assert vars(record)["otelTraceID"] == f"{trace_id(process):032x}"
    assert vars(record)["otelSpanID"] == f"{span_id(process):016x}"

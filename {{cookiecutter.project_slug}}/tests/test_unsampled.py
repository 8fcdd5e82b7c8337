{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""What a trace that is not sampled costs: no span, and its decision travels on."""

import logging

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.log_records import RecordList
from tests.messages import ORDER
from tests.upstream import UPSTREAM_TRACE, upstream_span


async def test_an_unsampled_order_records_no_span_and_its_invoice_keeps_the_trace(
    test_broker: {{ broker.broker_class }},
    spans: InMemorySpanExporter,
) -> None:
    """An order from a trace upstream did not sample: nothing is recorded along the
    pipeline, and both handlers log in that trace, so its log lines still join up.
    (In memory the invoice is handled inside the publisher's context; on a real
    broker FastStream starts a new trace for it: see README.md.)"""
    capture = RecordList()
    logger = logging.getLogger("{{ cookiecutter.package_name }}.handlers")
    logger.addHandler(capture)
    try:
        with trace.use_span(upstream_span(sampled=False)):
            await test_broker.publish(
                ORDER,
                **address(settings.orders_topic),
            )
    finally:
        logger.removeHandler(capture)

    assert spans.get_finished_spans() == ()
    priced, dispatched = capture.records
    assert "priced order" in priced.getMessage()
    assert "invoice for order" in dispatched.getMessage()
    assert {vars(record)["otelTraceID"] for record in capture.records} == {
        f"{UPSTREAM_TRACE:032x}"
    }


def test_sdk_disabled_puts_no_tracing_middleware_on_the_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = telemetry.create_tracer_provider()
    meters = MeterProvider()

    assert telemetry.telemetry_middleware(provider, meters) is None
    assert telemetry.duration_middleware(meters) is None

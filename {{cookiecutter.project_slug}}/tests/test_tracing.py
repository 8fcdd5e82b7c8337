{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The trace one order leaves, span by span, as FastStream documents the chain."""

import logging

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.handlers import (
    dispatch_invoice,
    price_order,
)
from {{ cookiecutter.package_name }}.logs import TraceContextFilter
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.log_records import RecordList
from tests.messages import INVOICE, MALFORMED_ORDER, ORDER
from tests.spans import (
    INVOICES,
    ORDERS,
    Traceparent,
    assert_documented_tree,
    by_name,
    span_id,
    trace_id,
)

MESSAGING_SYSTEM = "{{ broker.messaging_system }}"
PUBLISH_DESTINATION = "{{ broker.publish_destination_attribute }}"
PROCESS_DESTINATION = "{{ broker.process_destination_attribute }}"


@pytest.fixture
async def order_trace(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> dict[str, ReadableSpan]:
    """The spans of one valid order going through the whole pipeline, by name."""
    await test_broker.publish(ORDER, **address(settings.orders_topic))
    return by_name(spans.get_finished_spans())


def test_one_order_gives_the_documented_span_tree(
    order_trace: dict[str, ReadableSpan],
) -> None:
    assert_documented_tree(order_trace)


def test_no_span_of_a_valid_order_is_an_error(
    order_trace: dict[str, ReadableSpan],
) -> None:
    assert all(
        span.status.status_code is StatusCode.UNSET for span in order_trace.values()
    )


def test_spans_carry_semantic_convention_attributes(
    order_trace: dict[str, ReadableSpan],
) -> None:
    attributes = {
        name: dict(span.attributes or {}) for name, span in order_trace.items()
    }
    conversation_ids = {
        attrs["messaging.message.conversation_id"] for attrs in attributes.values()
    }

    assert all(a["messaging.system"] == MESSAGING_SYSTEM for a in attributes.values())
    assert len(conversation_ids) == 1
    assert conversation_ids != {""}
    for topic, prefix in (
        (settings.orders_topic, ORDERS),
        (settings.invoices_topic, INVOICES),
    ):
        published = attributes[f"{prefix} publish"]
        processed = attributes[f"{prefix} process"]
        assert published[PUBLISH_DESTINATION] == topic
        assert published["messaging.operation"] == "publish"
        assert processed[PROCESS_DESTINATION] == topic
        assert processed["messaging.operation"] == "process"
        assert processed["messaging.message.id"]
        payload_size = processed["messaging.message.payload_size_bytes"]
        assert isinstance(payload_size, int)
        assert payload_size > 0


def test_handlers_add_business_attributes(order_trace: dict[str, ReadableSpan]) -> None:
    priced = dict(order_trace[f"{ORDERS} process"].attributes or {})
    dispatched = dict(order_trace[f"{INVOICES} process"].attributes or {})

    assert priced["app.order.id"] == ORDER["order_id"]
    assert priced["app.order.item_count"] == 3
    assert priced["app.invoice.total"] == "16.40"
    assert dispatched["app.invoice.total"] == "16.40"


async def test_traceparent_travels_in_the_message_headers(
    order_trace: dict[str, ReadableSpan],
) -> None:
    create = order_trace[f"{ORDERS} create"]
    trace = trace_id(create)

    await price_order.assert_called_once_with(
        ORDER, headers={"traceparent": Traceparent(trace, parent=span_id(create))}
    )
    await dispatch_invoice.assert_called_once_with(
        INVOICE, headers={"traceparent": Traceparent(trace)}
    )


async def test_a_failing_handler_records_an_error_span(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    with pytest.raises(ValidationError):
        await test_broker.publish(
            MALFORMED_ORDER,
            **address(settings.orders_topic),
        )

    named = by_name(spans.get_finished_spans())
    process = named[f"{ORDERS} process"]
    events = [event for event in process.events if event.name == "exception"]
    assert process.status.status_code is StatusCode.ERROR
    assert len(events) == 1
    assert "ValidationError" in str((events[0].attributes or {})["exception.type"])
    assert f"{INVOICES} publish" not in named


async def test_log_lines_carry_the_trace_and_span_ids(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    capture = RecordList()
    logger = logging.getLogger("{{ cookiecutter.package_name }}.handlers")
    logger.addHandler(capture)
    try:
        await test_broker.publish(ORDER, **address(settings.orders_topic))
    finally:
        logger.removeHandler(capture)

    process = by_name(spans.get_finished_spans())[f"{ORDERS} process"]
    priced = next(r for r in capture.records if r.getMessage().startswith("priced"))
    assert process.context is not None
    assert vars(priced)["otelTraceID"] == f"{process.context.trace_id:032x}"
    assert vars(priced)["otelSpanID"] == f"{process.context.span_id:016x}"


def test_log_lines_outside_a_span_say_so() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "no span", None, None)

    TraceContextFilter().filter(record)

    assert (vars(record)["otelTraceID"], vars(record)["otelSpanID"]) == ("0", "0")

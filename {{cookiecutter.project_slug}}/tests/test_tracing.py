{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set publish_orders = broker.publisher | replace("DESTINATION", "settings.orders_topic") -%}
"""The trace one order leaves, span by span, as FastStream documents the chain."""

import logging
import re
from collections.abc import Sequence
from typing import Annotated, Any

import pytest
from faststream import Context
from {{ broker.module }} import {{ broker.broker_class }}, {{ broker.test_broker }}
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.app import tracer_provider
from {{ cookiecutter.package_name }}.handlers import settings
from {{ cookiecutter.package_name }}.logs import TraceContextFilter
from {{ cookiecutter.package_name }}.telemetry import telemetry_middleware
from tests.messages import MALFORMED_ORDER, ORDER

MESSAGING_SYSTEM = "{{ broker.messaging_system }}"
PUBLISH_DESTINATION = "{{ broker.publish_destination_attribute }}"
PROCESS_DESTINATION = "{{ broker.process_destination_attribute }}"
ORDERS = "{{ broker.span_prefix }}" + settings.orders_topic
INVOICES = "{{ broker.span_prefix }}" + settings.invoices_topic
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def by_name(spans: Sequence[ReadableSpan]) -> dict[str, ReadableSpan]:
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), f"span names repeat: {[s.name for s in spans]}"
    return named


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def parent_id(span: ReadableSpan) -> int | None:
    return int(span.parent.span_id) if span.parent else None


@pytest.fixture
async def order_trace(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> dict[str, ReadableSpan]:
    """The spans of one valid order going through the whole pipeline, by name."""
    await test_broker.publish(ORDER, {{ publish_orders }})
    return by_name(spans.get_finished_spans())


def test_one_order_gives_the_documented_span_tree(
    order_trace: dict[str, ReadableSpan],
) -> None:
    assert sorted(order_trace) == sorted(
        [
            f"{ORDERS} create",
            f"{ORDERS} publish",
            f"{ORDERS} process",
            f"{INVOICES} publish",
            f"{INVOICES} process",
        ]
    )
    create = order_trace[f"{ORDERS} create"]
    process = order_trace[f"{ORDERS} process"]

    assert parent_id(create) is None
    assert parent_id(order_trace[f"{ORDERS} publish"]) == span_id(create)
    assert parent_id(process) == span_id(create)
    assert parent_id(order_trace[f"{INVOICES} publish"]) == span_id(process)
    # FastStream links the next hop's consumer to the trace's creating span.
    assert parent_id(order_trace[f"{INVOICES} process"]) == span_id(create)


def test_span_kinds_follow_the_messaging_conventions(
    order_trace: dict[str, ReadableSpan],
) -> None:
    kinds = {name: span.kind for name, span in order_trace.items()}

    assert kinds == {
        f"{ORDERS} create": SpanKind.PRODUCER,
        f"{ORDERS} publish": SpanKind.PRODUCER,
        f"{ORDERS} process": SpanKind.CONSUMER,
        f"{INVOICES} publish": SpanKind.PRODUCER,
        f"{INVOICES} process": SpanKind.CONSUMER,
    }


def test_the_whole_pipeline_is_one_trace(order_trace: dict[str, ReadableSpan]) -> None:
    trace_ids = {span.context.trace_id for span in order_trace.values() if span.context}

    assert len(trace_ids) == 1
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
    spans: InMemorySpanExporter,
) -> None:
    # A broker of its own with the service's middleware, to read the raw headers.
    probe = {{ broker.broker_class }}(middlewares=[telemetry_middleware(tracer_provider)])
    received: list[dict[str, Any]] = []

    @probe.subscriber({{ broker.publisher | replace("DESTINATION", '"traceparent-probe"') }})
    async def capture(
        body: str, headers: Annotated[dict[str, Any], Context("message.headers")]
    ) -> None:
        received.append(headers)

    async with {{ broker.test_broker }}(probe) as connected:
        await connected.publish("ping", {{ broker.publisher | replace("DESTINATION", '"traceparent-probe"') }})

    create = by_name(spans.get_finished_spans())["{{ broker.span_prefix }}traceparent-probe create"]
    match = TRACEPARENT.match(received[0]["traceparent"])
    assert match is not None, received[0]
    trace_id, parent, flags = match.groups()
    assert create.context is not None
    assert int(trace_id, 16) == create.context.trace_id
    assert int(parent, 16) == create.context.span_id
    assert int(flags, 16) & 0x01, "the sampled flag must travel with the message"


async def test_a_failing_handler_records_an_error_span(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    with pytest.raises(ValidationError):
        await test_broker.publish(MALFORMED_ORDER, {{ publish_orders }})

    named = by_name(spans.get_finished_spans())
    process = named[f"{ORDERS} process"]
    events = [event for event in process.events if event.name == "exception"]
    assert process.status.status_code is StatusCode.ERROR
    assert len(events) == 1
    assert "ValidationError" in str((events[0].attributes or {})["exception.type"])
    assert f"{INVOICES} publish" not in named


class RecordList(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(TraceContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_log_lines_carry_the_trace_and_span_ids(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    capture = RecordList()
    logger = logging.getLogger("{{ cookiecutter.package_name }}.handlers")
    logger.addHandler(capture)
    try:
        await test_broker.publish(ORDER, {{ publish_orders }})
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

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The pipeline on the real broker at BROKER_URL, with its real client: consumer groups,
acknowledgements and headers as in production.

    uv run pytest -m integration
"""

import asyncio
import logging
import uuid
from typing import Any

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
{%- if cookiecutter.broker == "redis" %}
from redis.asyncio import Redis
{%- endif %}

from {{ cookiecutter.package_name }}.app import app
from {{ cookiecutter.package_name }}.handlers import dispatch_invoice
from {{ cookiecutter.package_name }}.logs import BROKER_LOGGER
{%- if cookiecutter.broker == "rabbit" %}
from {{ cookiecutter.package_name }}.queues import dead_letter_queue
{%- endif %}
{%- if cookiecutter.broker == "nats" %}
from {{ cookiecutter.package_name }}.topology import (
    address,
    durable_name,
    settings,
)
{%- else %}
from {{ cookiecutter.package_name }}.topology import address, settings
{%- endif %}
from tests.asgi_client import asgi_get
from tests.log_records import RecordList
from tests.messages import INVOICE, MALFORMED_ORDER, ORDER
from tests.spans import (
    INVOICES,
    ORDERS,
    Traceparent,
    assert_documented_tree,
    by_name,
    trace_id,
)

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

# Generous: joining a consumer group can take seconds on first use.
DELIVERY_TIMEOUT = 60.0


def order_numbered(order_id: str) -> dict[str, Any]:
    return {**ORDER, "order_id": order_id}
{%- if cookiecutter.broker == "rabbit" %}


async def dead_lettered(broker: RabbitBroker, correlation_id: str) -> dict[str, Any]:
    """The headers of the message in the orders dead-letter queue."""
    queue = await broker.declare_queue(
        dead_letter_queue(settings.orders_topic, settings.consumer_group)
    )
    deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
    while asyncio.get_running_loop().time() < deadline:
        message = await queue.get(no_ack=True, fail=False)
        if message is not None and message.correlation_id == correlation_id:
            return dict(message.headers)
        await asyncio.sleep(0.1)
    pytest.fail(f"{correlation_id} never reached the dead-letter queue")
{%- elif cookiecutter.broker == "redis" %}


async def pending(stream: str, group: str) -> int:
    """Entries the group has read but not acknowledged."""
    client = Redis.from_url(settings.broker_url)
    try:
        summary = await client.xpending(stream, group)
    finally:
        await client.aclose()
    return int(summary["pending"])
{%- elif cookiecutter.broker == "nats" %}


async def unacknowledged(broker: NatsBroker, topic: str) -> int:
    """Messages the group's consumer of `topic` delivered and awaits an ack for."""
    info = await broker.connection.jetstream().consumer_info(
        settings.stream_name, durable_name(topic, settings.consumer_group)
    )
    return int(info.num_ack_pending or 0)
{%- endif %}


async def wait_for_trace(
    spans: InMemorySpanExporter, order_id: str, size: int
) -> dict[str, ReadableSpan]:
    """The spans of the trace whose `orders process` span priced `order_id`, once
    `size` of them have ended."""
    deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
    while True:
        finished = spans.get_finished_spans()
        traces = {
            trace_id(span)
            for span in finished
            if (span.attributes or {}).get("app.order.id") == order_id
            or (span.attributes or {}).get("messaging.message.conversation_id")
            == order_id
        }
        if len(traces) == 1:
            trace = [span for span in finished if trace_id(span) in traces]
            if len(trace) >= size:
                return by_name(trace)
        if asyncio.get_running_loop().time() > deadline:
            names = [span.name for span in finished]
            pytest.fail(f"no complete trace for {order_id} within the timeout: {names}")
        await asyncio.sleep(0.05)


async def test_an_order_crosses_the_real_broker_in_one_trace(
    real_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    order_id = f"order-{uuid.uuid4().hex[:8]}"

    await real_broker.publish(
        order_numbered(order_id),
        **address(settings.orders_topic),
    )
    trace = await wait_for_trace(spans, order_id, size=5)

    assert_documented_tree(trace)
    assert all(span.status.status_code is StatusCode.UNSET for span in trace.values())
    create = trace[f"{ORDERS} create"]
    await dispatch_invoice.assert_any_call(
        {**INVOICE, "order_id": order_id},
        headers={"traceparent": Traceparent(trace_id(create))},
    )
    processed = dict(trace[f"{INVOICES} process"].attributes or {})
    assert processed["messaging.system"] == "{{ broker.messaging_system }}"
    assert processed["messaging.message.id"]


async def test_faststream_s_lines_about_each_message_are_debug(
    real_broker: {{ broker.broker_class }},
) -> None:
    # At LOG_LEVEL=INFO a message gives only the handlers' lines, which carry its
    # trace id; LOG_LEVEL=DEBUG adds FastStream's `Received` and `Processed`.
    capture = RecordList()
    broker_logger = logging.getLogger(BROKER_LOGGER)
    level = broker_logger.level
    broker_logger.addHandler(capture)
    broker_logger.setLevel(logging.DEBUG)
    try:
        await real_broker.publish(ORDER, **address(settings.orders_topic))
        deadline = asyncio.get_running_loop().time() + DELIVERY_TIMEOUT
        while not any(r.getMessage() == "Processed" for r in capture.records):
            assert asyncio.get_running_loop().time() < deadline, "nothing processed"
            await asyncio.sleep(0.05)
    finally:
        broker_logger.setLevel(level)
        broker_logger.removeHandler(capture)

    levels = {record.getMessage(): record.levelno for record in capture.records}
    assert levels["Received"] == levels["Processed"] == logging.DEBUG


def counted(metrics: str, name: str, topic: str) -> float:
    """The count of `name` for the destination ending in `topic`{% if broker.span_prefix %} (RabbitMQ names
    destinations after their exchange too){% endif %}."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(name + "{")
        and f'{topic}"' in line
        and "error_type" not in line
    )


async def test_the_endpoints_answer_for_the_real_broker(
    real_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    order_id = f"order-{uuid.uuid4().hex[:8]}"

    await real_broker.publish(
        order_numbered(order_id),
        **address(settings.orders_topic),
    )
    await wait_for_trace(spans, order_id, size=5)
    status, body = await asgi_get(app, "/metrics")

    assert status == 200
    metrics = body.decode()
    process = "messaging_process_duration_seconds_count"
    assert counted(metrics, process, settings.orders_topic) >= 1
    assert counted(metrics, process, settings.invoices_topic) >= 1
    publish = "messaging_publish_duration_seconds_count"
    assert counted(metrics, publish, settings.invoices_topic) >= 1
    assert await asgi_get(app, "/health/ready") == (204, b"")
    assert await asgi_get(app, "/health/live") == (204, b"")


async def test_a_malformed_order_is_an_error_span_settled_once(
    real_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    bad_id, good_id = (f"order-{uuid.uuid4().hex[:8]}" for _ in range(2))

    await real_broker.publish(
        MALFORMED_ORDER,
        **address(settings.orders_topic),
        correlation_id=bad_id,
    )
    await real_broker.publish(
        order_numbered(good_id),
        **address(settings.orders_topic),
    )
    failed = await wait_for_trace(spans, bad_id, size=3)
    priced = await wait_for_trace(spans, good_id, size=5)

    process = failed[f"{ORDERS} process"]
    assert process.status.status_code is StatusCode.ERROR
    assert [event.name for event in process.events] == ["exception"]
    assert f"{INVOICES} publish" not in failed
    assert_documented_tree(priced)
    # Settled once, not redelivered: the order after it has gone all the way through.
    attempts = [
        span
        for span in spans.get_finished_spans()
        if span.name == f"{ORDERS} process" and trace_id(span) == trace_id(process)
    ]
    assert len(attempts) == 1
{%- if cookiecutter.broker == "rabbit" %}
    headers = await dead_lettered(real_broker, bad_id)
    assert headers["x-first-death-reason"] == "rejected"
{%- elif cookiecutter.broker == "redis" %}
    assert await pending(settings.orders_topic, settings.consumer_group) == 0
{%- elif cookiecutter.broker == "nats" %}
    assert await unacknowledged(real_broker, settings.orders_topic) == 0
{%- endif %}

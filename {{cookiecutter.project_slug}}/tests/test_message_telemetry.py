"""`MessageTelemetry` makes the spans and metrics FastStream's own middleware makes.

Each scenario runs once through FastStream's `BaseTelemetryMiddleware` and once through
`MessageTelemetry`, on the same messages, and compares what each left behind: spans
(name, kind, parent, attributes, status, events, links), the headers published, and
the metrics recorded. The one intended difference, a message whose trace is not
sampled, has its own test.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from faststream import ContextRepo
from faststream.message import StreamMessage
from faststream.opentelemetry import TelemetryMiddleware
from faststream.response import BatchPublishCommand, PublishCommand
from faststream.response.publish_type import PublishType
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.message_telemetry import MessageTelemetry

UPSTREAM_TRACE = 0x0AF7651916CD43DD8448EB211C80319C
UPSTREAM_SPAN = 0x00F067AA0BA902B7
SAMPLED = f"00-{UPSTREAM_TRACE:032x}-{UPSTREAM_SPAN:016x}-01"
NOT_SAMPLED = f"00-{UPSTREAM_TRACE:032x}-{UPSTREAM_SPAN:016x}-00"
BAGGAGE = "tenant=acme,region=eu"

Handler = Callable[[StreamMessage[Any]], Awaitable[Any]]


class Provider:
    """Span attributes as a broker's FastStream provider gives them."""

    messaging_system = "test"

    def get_consume_attrs_from_message(self, msg: StreamMessage[Any]) -> dict[str, Any]:
        return {
            "messaging.system": self.messaging_system,
            "messaging.message.id": msg.message_id,
            "messaging.message.conversation_id": msg.correlation_id,
            "messaging.message.payload_size_bytes": len(msg.body),
            "messaging.destination_publish.name": "orders",
        }

    def get_consume_destination_name(self, msg: StreamMessage[Any]) -> str:
        return "orders"

    def get_publish_attrs_from_cmd(self, cmd: PublishCommand) -> dict[str, Any]:
        return {
            "messaging.system": self.messaging_system,
            "messaging.destination.name": cmd.destination,
            "messaging.message.conversation_id": cmd.correlation_id,
        }

    def get_publish_destination_name(self, cmd: PublishCommand) -> str:
        return cmd.destination


class Recorded:
    """One middleware implementation with its own provider, exporter and reader."""

    def __init__(self, implementation: str) -> None:
        self.spans = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.metrics = InMemoryMetricReader()
        self.middleware = TelemetryMiddleware(
            settings_provider_factory=lambda _: Provider(),
            tracer_provider=tracer_provider,
            meter_provider=MeterProvider(metric_readers=[self.metrics]),
            include_messages_counters=True,
        )
        self.implementation = implementation
        self.published: list[dict[str, Any]] = []

    def per_message(self, msg: Any) -> Any:
        if self.implementation == "faststream":
            return self.middleware(msg, context=ContextRepo())
        return MessageTelemetry(
            msg,
            tracer=self.middleware._tracer,
            metrics=self.middleware._metrics,
            provider_factory=self.middleware._settings_provider_factory,
            context=ContextRepo(),
        )

    async def send(self, command: PublishCommand) -> None:
        self.published.append(dict(command.headers))

    async def consume(
        self, headers: dict[str, str], handler: Handler, *, publishes: int = 1
    ) -> None:
        """As FastStream's subscriber does: enter the middleware, consume, publish
        what the handler returned, exit."""
        raw = {"id": "m-1"}
        middleware = self.per_message(raw)
        async with middleware:
            message = StreamMessage(
                raw,
                b'{"order_id": "o-1"}',
                headers=dict(headers),
                message_id="m-1",
                correlation_id="c-1",
            )
            await middleware.consume_scope(handler, message)
            for _ in range(publishes):
                await middleware.publish_scope(self.send, invoice_command())

    async def publish(self, command: PublishCommand) -> None:
        """A publish outside any handler (the broker's own `publish`)."""
        await self.per_message(None).publish_scope(self.send, command)

    def outcome(self) -> dict[str, Any]:
        return {
            "spans": describe(self.spans.get_finished_spans()),
            "headers": [normalize_headers(h) for h in self.published],
            "metrics": metric_points(self.metrics),
        }


def invoice_command(*bodies: Any) -> PublishCommand:
    if bodies:
        return BatchPublishCommand(
            *bodies,
            _publish_type=PublishType.PUBLISH,
            destination="invoices",
            correlation_id="c-1",
        )
    return PublishCommand(
        {"total": "1"},
        _publish_type=PublishType.PUBLISH,
        destination="invoices",
        correlation_id="c-1",
        headers={},
    )


def describe(spans: tuple[ReadableSpan, ...]) -> list[dict[str, Any]]:
    """What each span says, its random ids replaced by positions in the list."""
    ids = {span.context.span_id: n for n, span in enumerate(spans) if span.context}
    traces = {span.context.trace_id for span in spans if span.context}
    return [
        {
            "name": span.name,
            "kind": span.kind,
            "parent": None
            if span.parent is None
            else ids.get(span.parent.span_id, f"remote {span.parent.span_id:x}"),
            "upstream trace": span.context is not None
            and span.context.trace_id == UPSTREAM_TRACE,
            "attributes": dict(span.attributes or {}),
            "status": (span.status.status_code, span.status.description),
            "events": [(event.name, event_attributes(event)) for event in span.events],
            "links": len(span.links),
            "traces": len(traces),
        }
        for span in spans
    ]


def event_attributes(event: Event) -> dict[str, Any]:
    """An exception event's attributes but its stack trace (the frames differ)."""
    attributes = dict(event.attributes or {})
    attributes.pop("exception.stacktrace", None)
    return attributes


def normalize_headers(headers: dict[str, Any]) -> dict[str, Any]:
    """Header names; for `traceparent`, whether it is in the upstream trace."""
    described: dict[str, Any] = dict.fromkeys(headers, "set")
    if "traceparent" in headers:
        trace_id = headers["traceparent"].split("-")[1]
        described["traceparent"] = trace_id == f"{UPSTREAM_TRACE:032x}"
    if "baggage" in headers:
        described["baggage"] = sorted(headers["baggage"].split(","))
    return described


def metric_points(reader: InMemoryMetricReader) -> list[tuple[str, Any, Any]]:
    """Each metric's name, attributes, and count (histograms) or sum (counters)."""
    data = reader.get_metrics_data()
    points = []
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    amount = (
                        point.count
                        if isinstance(point, HistogramDataPoint)
                        else getattr(point, "value", None)
                    )
                    attributes = sorted((point.attributes or {}).items())
                    points.append((metric.name, attributes, amount))
    return sorted(points, key=repr)


async def handled(msg: StreamMessage[Any]) -> None:
    return None


async def fails(msg: StreamMessage[Any]) -> None:
    raise ValueError("the order has no items")


async def run(implementation: str, scenario: str) -> dict[str, Any]:
    recorded = Recorded(implementation)
    if scenario == "sampled":
        await recorded.consume({"traceparent": SAMPLED}, handled)
    elif scenario == "with baggage":
        await recorded.consume({"traceparent": SAMPLED, "baggage": BAGGAGE}, handled)
    elif scenario == "without a trace":
        await recorded.consume({}, handled, publishes=2)
    elif scenario == "handler fails":
        with pytest.raises(ValueError, match="no items"):
            await recorded.consume({"traceparent": SAMPLED}, fails, publishes=0)
    elif scenario == "publish outside a handler":
        await recorded.publish(invoice_command())
    elif scenario == "batch publish":
        await recorded.publish(invoice_command({"a": 1}, {"b": 2}))
    return recorded.outcome()


@pytest.mark.parametrize(
    "scenario",
    [
        "sampled",
        "with baggage",
        "without a trace",
        "handler fails",
        "publish outside a handler",
        "batch publish",
    ],
)
async def test_the_same_spans_headers_and_metrics_as_faststream(scenario: str) -> None:
    ours = await run("ours", scenario)
    faststream = await run("faststream", scenario)

    assert ours == faststream
    assert ours["spans"], "the scenario recorded no span"


async def test_the_handler_sees_its_span_and_baggage_until_the_message_is_done() -> (
    None
):
    recorded = Recorded("ours")
    raw = {"id": "m-1"}
    middleware = recorded.per_message(raw)
    seen: dict[str, Any] = {}

    async def handler(msg: StreamMessage[Any]) -> None:
        seen["span"] = middleware.context.get_local("span")
        seen["baggage"] = middleware.context.get_local("baggage").get_all()

    async with middleware:
        headers = {"traceparent": SAMPLED, "baggage": BAGGAGE}
        await middleware.consume_scope(
            handler, StreamMessage(raw, b"{}", headers=headers)
        )
        assert middleware.context.get_local("span") is seen["span"]

    assert seen["span"].is_recording() is False  # ended with the message
    assert seen["baggage"] == {"tenant": "acme", "region": "eu"}
    assert middleware.context.get_local("span") is None


async def test_an_unsampled_message_records_nothing_and_passes_its_decision_on() -> (
    None
):
    """FastStream starts a new root trace for what the handler publishes here; the
    invoice should stay in the upstream trace, not sampled, with no span."""
    recorded = Recorded("ours")

    await recorded.consume({"traceparent": NOT_SAMPLED}, handled)

    assert recorded.spans.get_finished_spans() == ()
    assert recorded.published == [{"traceparent": NOT_SAMPLED}]
    published = [
        amount
        for name, _, amount in metric_points(recorded.metrics)
        if name == "messaging.publish.messages"
    ]
    assert published == [1]  # counted as FastStream counts it

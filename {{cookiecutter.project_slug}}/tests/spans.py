{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Reading recorded spans: by name, by trace, and as the tree FastStream documents."""

import re
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind

from {{ cookiecutter.package_name }}.topology import settings


def destination(topic: str) -> str:
{%- if broker.span_prefix %}
    """How span names start for `topic`: RabbitMQ names them `exchange.routing-key`."""
    return f"{{ broker.span_prefix }}{topic}"
{%- else %}
    """How span names start for `topic`."""
    return topic
{%- endif %}


ORDERS = destination(settings.orders_topic)
INVOICES = destination(settings.invoices_topic)


def by_name(spans: Sequence[ReadableSpan]) -> dict[str, ReadableSpan]:
    named = {span.name: span for span in spans}
    assert len(named) == len(spans), f"span names repeat: {[s.name for s in spans]}"
    return named


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.trace_id)


def parent_id(span: ReadableSpan) -> int | None:
    return int(span.parent.span_id) if span.parent else None


def assert_documented_tree(
    trace: dict[str, ReadableSpan], orders: str = ORDERS, invoices: str = INVOICES
) -> None:
    """One order's trace: five spans, linked as FastStream documents the chain."""
    assert {name: span.kind for name, span in trace.items()} == {
        f"{orders} create": SpanKind.PRODUCER,
        f"{orders} publish": SpanKind.PRODUCER,
        f"{orders} process": SpanKind.CONSUMER,
        f"{invoices} publish": SpanKind.PRODUCER,
        f"{invoices} process": SpanKind.CONSUMER,
    }
    create = trace[f"{orders} create"]
    process = trace[f"{orders} process"]

    assert parent_id(create) is None
    assert parent_id(trace[f"{orders} publish"]) == span_id(create)
    assert parent_id(process) == span_id(create)
    assert parent_id(trace[f"{invoices} publish"]) == span_id(process)
    # FastStream links the next hop's consumer to the trace's creating span.
    assert parent_id(trace[f"{invoices} process"]) == span_id(create)
    assert len({trace_id(span) for span in trace.values()}) == 1


class Traceparent:
    """Equal to a W3C `traceparent` header of the given trace (and parent span, if
    given) whose sampled flag is set: a matcher for FastStream's call assertions."""

    FORMAT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

    def __init__(self, trace: int, parent: int | None = None) -> None:
        self.trace = trace
        self.parent = parent

    def __eq__(self, header: object) -> bool:
        match = self.FORMAT.match(header) if isinstance(header, str) else None
        if match is None:
            return False
        trace, parent, flags = (int(part, 16) for part in match.groups())
        sampled = bool(flags & 0x01)
        return trace == self.trace and self.parent in (None, parent) and sampled

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parent = "any span" if self.parent is None else f"span {self.parent:016x}"
        return f"<traceparent of trace {self.trace:032x}, {parent}, sampled>"

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Run the pipeline once on FastStream's in-memory broker and print its trace.

Needs no broker and no tracing backend:

    uv run python -m {{ cookiecutter.package_name }}.demo

The service's log lines (with their trace and span ids) go to stderr; the trace, as
a tree of spans, goes to stdout.
"""

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from {{ broker.module }} import {{ broker.test_broker }}
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.app import broker, tracer_provider
from {{ cookiecutter.package_name }}.models import LineItem, Order
from {{ cookiecutter.package_name }}.topology import address, settings

SAMPLE_ORDER = Order(
    order_id="order-1001",
    customer_id="customer-42",
    items=[
        LineItem(sku="coffee-beans-1kg", quantity=2, unit_price=Decimal("18.50")),
        LineItem(sku="paper-filters", quantity=1, unit_price=Decimal("3.20")),
    ],
)

SHOWN_ATTRIBUTES = (
    "messaging.system",
    "messaging.destination.name",
    "messaging.message.id",
    "app.invoice.total",
)


def describe(span: ReadableSpan) -> str:
    kind = span.kind.name if span.kind else "INTERNAL"
    duration_ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    attributes = span.attributes or {}
    shown = " ".join(
        f"{key}={attributes[key]!s}" for key in SHOWN_ATTRIBUTES if attributes.get(key)
    )
    return (
        f"{span.name} [{kind}] {span.status.status_code.name} {duration_ms:.2f} ms"
        f"  {shown}".rstrip()
    )


def render_trace(spans: Sequence[ReadableSpan]) -> list[str]:
    """The spans as an indented tree, each trace under its id, children by start."""
    span_ids = {span.context.span_id for span in spans if span.context}
    children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
    for span in sorted(spans, key=lambda span: span.start_time or 0):
        parent = span.parent.span_id if span.parent else None
        children[parent if parent in span_ids else None].append(span)

    lines: list[str] = []

    def walk_children(span: ReadableSpan, indent: str) -> None:
        below = children[span.context.span_id] if span.context else []
        for index, child in enumerate(below):
            last = index == len(below) - 1
            lines.append(f"{indent}{'└── ' if last else '├── '}{describe(child)}")
            walk_children(child, indent + ("    " if last else "│   "))

    for root in children[None]:
        trace_id = root.context.trace_id if root.context else 0
        lines.append(f"trace {trace_id:032x}")
        lines.append(describe(root))
        walk_children(root, "")
    return lines


async def run_pipeline(order: Order) -> Sequence[ReadableSpan]:
    """Publish one order through the service's own broker, held in memory."""
    exporter = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with {{ broker.test_broker }}(broker) as test_broker:
        await test_broker.publish(order, **address(settings.orders_topic))
    return exporter.get_finished_spans()


def main() -> None:
    spans = asyncio.run(run_pipeline(SAMPLE_ORDER))
    print("\n".join(render_trace(spans)))
    tracer_provider.shutdown()


if __name__ == "__main__":
    main()

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service's life, once, in a fresh interpreter: the app starts (span export
begins), orders go through the in-memory broker, the app stops (queued spans are
flushed). Tests run it as `python -m tests.pipeline_run` and read the last line it
prints, a JSON summary; telemetry is configured by the OTEL_* variables they set.

`--in-memory` swaps the configured exporter for an in-memory one and reports what it
held before and after the app stopped.
"""

import argparse
import asyncio
import json
import time
from unittest.mock import patch

from faststream import TestApp
from {{ broker.module }} import {{ broker.test_broker }}
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }} import telemetry
from {{ cookiecutter.package_name }}.app import app, broker
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.messages import ORDER


async def run(orders: int, exporter: InMemorySpanExporter | None) -> dict[str, object]:
    started = time.perf_counter()
    async with {{ broker.test_broker }}(broker), TestApp(app):
        for number in range(orders):
            order = {**ORDER, "order_id": f"order-{number}"}
            await broker.publish(order, **address(settings.orders_topic))
        processed_in = time.perf_counter() - started
        queued = len(exporter.get_finished_spans()) if exporter else None
    return {
        "orders": orders,
        "processed_in_s": round(processed_in, 3),
        "stopped_in_s": round(time.perf_counter() - started, 3),
        "queued": queued,
        "exported": len(exporter.get_finished_spans()) if exporter else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1)
    parser.add_argument("--in-memory", action="store_true")
    arguments = parser.parse_args()
    if arguments.in_memory:
        exporter = InMemorySpanExporter()
        with patch.object(telemetry, "build_span_exporter", lambda: exporter):
            summary = asyncio.run(run(arguments.orders, exporter))
    else:
        summary = asyncio.run(run(arguments.orders, None))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

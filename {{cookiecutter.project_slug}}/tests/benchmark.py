{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{#- One argument a line, at the call's indent: RabbitMQ names its exchange too. #}
{%- macro orders_out(indent) -%}
{{ broker.publisher | replace("DESTINATION", "settings.orders_topic") | replace(", ", ",\n" ~ " " * indent) }}
{%- endmacro -%}
"""What tracing costs this service, on its broker: `uv run python -m tests.benchmark`.

A stream of orders that carry a W3C `traceparent` (as if an upstream service had
published them) arrives at the service, which handles them as deployed: each order is
priced, its invoice published and then dispatched. The service runs five ways, in
alternating rounds, each in a fresh interpreter:

- bare: `OTEL_SDK_DISABLED=true`, tracing off;
- traced: the default sampler (`parentbased_always_on`), every order traced;
- sampled: `parentbased_traceidratio` at 10%, upstream having sampled 10% of traces;
- faststream: as traced, but with FastStream's own `{{ broker.middleware_class }}` as
  it ships instead of this service's (the same spans, FastStream's default setup);
- sdk: as traced, with the same spans made by straight SDK calls and nothing else
  (`tests/sdk_floor.py`): the floor inside the service.

Spans go through the service's own batch processor to an exporter that only counts
them, so the figures are the service's cost, not a collector's. The floor is the
same three spans per order (`orders process`, `invoices publish`, `invoices process`,
with their attributes and the `traceparent` carried between them) made directly with
the SDK, without a broker. The broker is the one at BROKER_URL; `--in-memory` uses
FastStream's in-memory test broker instead (there the service publishes each order
itself, so two more spans per order, `orders create` and `orders publish`, count).

Figures, not a test: they depend on the machine and on what else it runs.
"""

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

{% set broker_names = ([broker.broker_class, broker.test_broker] + (["RabbitQueue"] if cookiecutter.broker == "rabbit" else [])) | sort | join(", ") -%}
{% for line in [
    "from faststream import BaseMiddleware, TestApp",
    "from faststream.message import StreamMessage",
    "from " ~ broker.module ~ " import " ~ broker_names,
    "from " ~ broker.middleware_module ~ " import " ~ broker.middleware_class,
] | sort -%}
{{ line }}
{% endfor -%}
from opentelemetry import context, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
{%- if cookiecutter.broker == "redis" %}
from redis.asyncio import Redis
{%- endif %}

from {{ cookiecutter.package_name }}.handlers import settings
from tests.messages import ORDER
from tests.sdk_floor import PerMessage, sdk_alone

MODES = {
    "bare": {"OTEL_SDK_DISABLED": "true"},
    "traced": {"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    "sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "faststream": {"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    "sdk": {"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
}
RATIO = {"bare": 1.0, "traced": 1.0, "sampled": 0.1, "faststream": 1.0, "sdk": 1.0}
TRACED_MODES = ["traced", "sampled", "faststream", "sdk"]
# Spans the service records per sampled order: on a real broker the order arrives
# with its context, so `orders process`, `invoices publish`, `invoices process`.
SPANS_PER_ORDER = 3
IN_MEMORY_SPANS_PER_ORDER = 5
# Published at once, up to this many at a time, so the feed outpaces the service.
FEED_CONCURRENCY = 100
# The clients that feed and clean up the broker log only problems.
CLIENT_LOGGER = logging.getLogger(f"{__name__}.client")
CLIENT_LOGGER.setLevel(logging.WARNING)


class CountingExporter(SpanExporter):
    """Exports nowhere: counts spans and the traces they belong to."""

    def __init__(self) -> None:
        self.spans = 0
        self.traces: set[int] = set()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        self.traces.update(span.context.trace_id for span in spans if span.context)
        return SpanExportResult.SUCCESS


class Progress:
    """Counts handled messages (orders and invoices) in a broker middleware, the
    same in every mode, and says when the last one is done."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.handled = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu_first = 0.0
        self.cpu_last = 0.0
        self.done = asyncio.Event()

    def middleware(self, msg: Any, /, **kwargs: Any) -> BaseMiddleware:
        progress = self

        class Count(BaseMiddleware):
            async def consume_scope(
                self,
                call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
                msg: StreamMessage[Any],
            ) -> Any:
                if not progress.first:
                    progress.first = time.perf_counter()
                    progress.cpu_first = time.process_time()
                try:
                    return await call_next(msg)
                finally:
                    progress.handled += 1
                    progress.last = time.perf_counter()
                    progress.cpu_last = time.process_time()
                    if progress.handled >= progress.expected:
                        progress.done.set()

        return Count(msg, **kwargs)


def traceparents(orders: int, ratio: float, seed: int) -> list[str]:
    """The upstream contexts of the stream, the same on both sides for one seed;
    sampled as `TraceIdRatioBased(ratio)` would decide."""
    draw = random.Random(seed)  # noqa: S311 - ids, not secrets
    bound = round(ratio * 2**64)
    headers = []
    for _ in range(orders):
        trace_id = draw.getrandbits(128) or 1
        span_id = draw.getrandbits(64) or 1
        flags = "01" if trace_id & (2**64 - 1) < bound else "00"
        headers.append(f"00-{trace_id:032x}-{span_id:016x}-{flags}")
    return headers


def order(number: int) -> dict[str, Any]:
    return {**ORDER, "order_id": f"order-{number}"}


async def feed(orders: int, ratio: float, seed: int) -> None:
    """Publish the stream from a plain, untraced client of the same broker."""
    feeder = {{ broker.broker_class }}(settings.broker_url, logger=CLIENT_LOGGER)
    headers = traceparents(orders, ratio, seed)
    async with feeder:
        for start in range(0, orders, FEED_CONCURRENCY):
            await asyncio.gather(
                *(
                    feeder.publish(
                        order(number),
                        {{ orders_out(24) }},
                        headers={"traceparent": headers[number]},
                    )
                    for number in range(start, min(start + FEED_CONCURRENCY, orders))
                )
            )


{% if cookiecutter.broker == "rabbit" -%}
async def clean_up() -> None:
    async with RabbitBroker(settings.broker_url, logger=CLIENT_LOGGER) as client:
        for name in (settings.orders_topic, settings.invoices_topic):
            queue = await client.declare_queue(RabbitQueue(name, durable=True))
            await queue.delete(if_unused=False, if_empty=False)
{%- elif cookiecutter.broker == "redis" -%}
async def clean_up() -> None:
    client = Redis.from_url(settings.broker_url)
    await client.delete(settings.orders_topic, settings.invoices_topic)
    await client.aclose()
{%- else -%}
async def clean_up() -> None:
    """Nothing outlives the run{% if cookiecutter.broker in ["kafka", "confluent"] %} but its topics{% endif %}."""
{%- endif %}


def faststream_middleware(provider: TracerProvider) -> {{ broker.middleware_class }}:
    """FastStream's own middleware as it ships: the `faststream` mode."""
    return {{ broker.middleware_class }}(tracer_provider=provider)


def sdk_only(provider: TracerProvider) -> PerMessage:
    """The same spans by straight SDK calls: the `sdk` mode."""
    return sdk_alone(faststream_middleware(provider))


async def run(mode: str, orders: int, seed: int, in_memory: bool) -> dict[str, Any]:
    """One measurement in this interpreter, configured by the environment."""
    from {{ cookiecutter.package_name }} import telemetry

    exporter = CountingExporter()
    with ExitStack() as patches:
        patches.enter_context(
            patch.object(telemetry, "build_span_exporter", lambda: exporter)
        )
        if mode in ("faststream", "sdk"):
            replacement = faststream_middleware if mode == "faststream" else sdk_only
            patches.enter_context(
                patch.object(telemetry, "telemetry_middleware", replacement)
            )
        from {{ cookiecutter.package_name }}.app import app, broker

        progress = Progress(2 * orders)
        broker.add_middleware(progress.middleware)
        headers = traceparents(orders, RATIO[mode], seed)
        if in_memory:
            async with {{ broker.test_broker }}(broker), TestApp(app):
                started = time.perf_counter()
                cpu_started = time.process_time()
                for number, header in enumerate(headers):
                    await broker.publish(
                        order(number),
                        {{ orders_out(24) }},
                        headers={"traceparent": header},
                    )
                progress.first = started
                progress.cpu_first = cpu_started
            expected = IN_MEMORY_SPANS_PER_ORDER * len(exporter.traces)
        else:
            # The service first, then the stream: FastStream starts the subscribers
            # before the publishers, and an order handled in between fails.
            await app.start()
            feeder = await asyncio.create_subprocess_exec(
                *[sys.executable, "-m", "tests.benchmark", "--feed", mode],
                *["--orders", str(orders), "--seed", str(seed)],
            )
            waiting = asyncio.ensure_future(progress.done.wait())
            await asyncio.wait([waiting], timeout=60 + orders / 20)
            waiting.cancel()
            await feeder.wait()
            await app.stop()
            await clean_up()
            sampled = sum(header.endswith("-01") for header in headers)
            expected = 0 if mode == "bare" else SPANS_PER_ORDER * sampled
    seconds = max(progress.last - progress.first, 1e-9)
    handled = progress.handled / 2
    return {
        "mode": mode,
        "orders": orders,
        "handled": progress.handled // 2,
        "seconds": round(seconds, 4),
        "per_second": round(handled / seconds, 1),
        "cpu_us": round((progress.cpu_last - progress.cpu_first) / handled * 1e6, 1),
        "spans_expected": expected,
        "spans_exported": exporter.spans,
    }


def floor(orders: int) -> dict[str, Any]:
    """The same spans for `orders` orders, made with the SDK alone: per order, the
    incoming `traceparent` extracted, `orders process` with its attributes,
    `invoices publish` as its child, the context injected into the invoice's headers
    and extracted again for `invoices process`; a batch processor, nothing sent."""
    exporter = CountingExporter()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("floor")
    propagator = TraceContextTextMapPropagator()
    attributes: dict[str, str | int] = {
        "messaging.system": "{{ broker.messaging_system }}",
        "messaging.message.id": "message-id",
        "messaging.message.conversation_id": "conversation-id",
        "messaging.destination_publish.name": "orders",
        "messaging.message.payload_size_bytes": 180,
    }
    consumer, producer = trace.SpanKind.CONSUMER, trace.SpanKind.PRODUCER
    started = time.perf_counter()
    for header in traceparents(orders, 1.0, 0):
        parent = propagator.extract({"traceparent": header})
        with tracer.start_as_current_span(
            "orders process", parent, consumer, attributes
        ) as process:
            process.set_attribute("messaging.operation", "process")
            process.set_attributes({"app.order.id": "order", "app.invoice.total": "1"})
            with tracer.start_as_current_span(
                "invoices publish", kind=producer, attributes=attributes
            ) as publish:
                publish.set_attribute("messaging.operation", "publish")
                invoice_headers: dict[str, str] = {}
                propagator.inject(invoice_headers)
        token = context.attach(propagator.extract(invoice_headers))
        with tracer.start_as_current_span(
            "invoices process", kind=consumer, attributes=attributes
        ) as dispatch:
            dispatch.set_attribute("messaging.operation", "process")
            dispatch.set_attribute("app.invoice.total", "1")
        context.detach(token)
    seconds = time.perf_counter() - started
    provider.shutdown()
    return {
        "mode": "floor",
        "orders": orders,
        "handled": orders,
        "seconds": round(seconds, 4),
        "per_second": round(orders / seconds, 1),
        "cpu_us": round(seconds / orders * 1e6, 1),
        "spans_expected": SPANS_PER_ORDER * orders,
        "spans_exported": exporter.spans,
    }


def measure(mode: str, orders: int, in_memory: bool) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter with the mode's environment."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("OTEL_")
    }
    run_id = uuid.uuid4().hex[:8]
    environment.update(
        MODES.get(mode, {}),
        ORDERS_TOPIC=f"bench-orders-{run_id}",
        INVOICES_TOPIC=f"bench-invoices-{run_id}",
        CONSUMER_GROUP=f"bench-{run_id}",
        LOG_LEVEL=environment.get("LOG_LEVEL", "INFO"),
    )
    command = [sys.executable, "-m", "tests.benchmark", "--run", mode]
    command += ["--orders", str(orders), "--seed", str(random.getrandbits(32))]
    if in_memory:
        command.append("--in-memory")
    result = subprocess.run(  # noqa: S603
        command,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300 + orders,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{mode} run failed:\n{result.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best round's rate (the one least disturbed by whatever else the machine
    ran), the median CPU time per order; spans and orders of every round added up."""
    return {
        "per_second": max(run["per_second"] for run in runs),
        "rounds": [run["per_second"] for run in runs],
        "cpu_us": statistics.median(run["cpu_us"] for run in runs),
        "orders": sum(run["orders"] for run in runs),
        "handled": sum(run["handled"] for run in runs),
        "spans_expected": sum(run["spans_expected"] for run in runs),
        "spans_exported": sum(run["spans_exported"] for run in runs),
    }


def overhead_us(bare: float, other: float) -> float:
    """Microseconds each order costs more than in the bare service."""
    return 1e6 / other - 1e6 / bare


def benchmark(orders: int, rounds: int, in_memory: bool) -> dict[str, Any]:
    modes = list(MODES)
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in [*modes, "floor"]}
    for number in range(rounds):
        # Alternate, and rotate the order, so drift on a busy machine is shared.
        turn = number % len(modes)
        for mode in modes[turn:] + modes[:turn]:
            runs[mode].append(measure(mode, orders, in_memory))
        runs["floor"].append(measure("floor", orders, in_memory))
    result = {mode: summarize(mode_runs) for mode, mode_runs in runs.items()}
    bare = result["bare"]["per_second"]
    for mode in TRACED_MODES:
        result[mode]["ratio"] = round(result[mode]["per_second"] / bare, 3)
        result[mode]["overhead_us"] = round(
            overhead_us(bare, result[mode]["per_second"]), 1
        )
        cpu_overhead = result[mode]["cpu_us"] - result["bare"]["cpu_us"]
        result[mode]["cpu_overhead_us"] = round(cpu_overhead, 1)
    result["floor"]["overhead_us"] = round(1e6 / result["floor"]["per_second"], 1)
    return {
        "broker": "in-memory" if in_memory else "{{ cookiecutter.broker }}",
        "orders": orders,
        "rounds": rounds,
        **result,
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"broker: {result['broker']}, {result['orders']} orders a round, "
        f"{result['rounds']} rounds (best round's orders per second, median CPU "
        "microseconds per order)"
    )
    print(
        f"{'mode':<10} {'orders/s':>9} {'vs bare':>8} {'us/order':>9} {'cpu us':>7}  "
        f"{'spans':>13}  orders handled"
    )
    for mode in ["bare", *TRACED_MODES, "floor"]:
        row = result[mode]
        ratio = f"{row['ratio']:.2f}x" if "ratio" in row else ""
        overhead = f"{row['overhead_us']:.0f}" if "overhead_us" in row else ""
        spans = f"{row['spans_exported']}/{row['spans_expected']}"
        handled = f"{row['handled']}/{row['orders']}"
        print(
            f"{mode:<10} {row['per_second']:>9.0f} {ratio:>8} {overhead:>9} "
            f"{row['cpu_us']:>7.0f}  "
            f"{spans:>13}  {handled}"
        )
    print(
        "us/order: what tracing adds to each order over bare; for the floor, the "
        "same spans made with the SDK alone. cpu us: the service's CPU time per "
        "order. spans: exported/expected. A"
    )
    print(
        "message handled in no round, or a span exported that no sampled order "
        "accounts for, shows in the last two columns."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-memory", action="store_true", help="no real broker")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--run", choices=[*MODES, "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--feed", choices=list(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.feed:
        asyncio.run(feed(arguments.orders, RATIO[arguments.feed], arguments.seed))
    elif arguments.run == "floor":
        print(json.dumps(floor(arguments.orders)))
    elif arguments.run:
        summary = asyncio.run(
            run(arguments.run, arguments.orders, arguments.seed, arguments.in_memory)
        )
        print(json.dumps(summary))
    else:
        result = benchmark(arguments.orders, arguments.rounds, arguments.in_memory)
        if arguments.json:
            print(json.dumps(result))
        else:
            report(result)


if __name__ == "__main__":
    main()

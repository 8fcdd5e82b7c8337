"""One measurement of a generated service, run by `benchmarks.run` with the generated
project's interpreter, in the project's directory:

    python harness.py serve --broker redis --package my_service --mode template ...

Plain Python, no template: it uses only the generated project's public surface (the
`<package>.app` module's `app` and `broker`, `<package>.handlers.router`,
`<package>.settings.Settings`, the `OTEL_*` and settings variables), and what differs
between brokers is the table below.

The service is started in this process and a stream of orders is fed to it from a
second process (`python harness.py feed ...`, a plain client of the same broker): each
order carries a W3C `traceparent` as an upstream service would send it. A small
broker middleware, the same in every mode, counts the messages handled and the CPU
time between the first and the last. Prints one JSON line.

Modes (`--mode`):
- `service`: the generated app as it is, configured by the environment that
  `benchmarks.run` sets (bare, template, sampled and the variants differ only there);
- `documented`: the generated handlers' router on a broker wired exactly as
  FastStream's OpenTelemetry page shows: FastStream's middleware given a
  `TracerProvider(resource=...)` with a `BatchSpanProcessor(OTLPSpanExporter(...))`,
  the SDK's defaults, FastStream's default logger, nothing else.

`--loop uvloop` runs the event loop FastStream's CLI picks with `--loop uvloop` (or
by itself when uvloop is installed); the default is asyncio's, as with
`--loop asyncio:new_event_loop`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import random
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from faststream import BaseMiddleware, FastStream


@dataclass(frozen=True)
class Broker:
    """Where FastStream keeps a broker and its telemetry middleware."""

    module: str
    broker_class: str
    middleware_class: str


BROKERS = {
    "kafka": Broker("faststream.kafka", "KafkaBroker", "KafkaTelemetryMiddleware"),
    "confluent": Broker(
        "faststream.confluent", "KafkaBroker", "KafkaTelemetryMiddleware"
    ),
    "rabbit": Broker("faststream.rabbit", "RabbitBroker", "RabbitTelemetryMiddleware"),
    "nats": Broker("faststream.nats", "NatsBroker", "NatsTelemetryMiddleware"),
    "redis": Broker("faststream.redis", "RedisBroker", "RedisTelemetryMiddleware"),
    "mqtt": Broker("faststream.mqtt", "MQTTBroker", "MQTTTelemetryMiddleware"),
}

ORDER = {
    "customer_id": "customer-9",
    "items": [
        {"sku": "tea", "quantity": 2, "unit_price": "4.25"},
        {"sku": "mug", "quantity": 1, "unit_price": "7.90"},
    ],
}
# Published at once, up to this many at a time, so the feed outpaces the service.
FEED_CONCURRENCY = 100
# The clients that feed and clean up the broker log only problems.
CLIENT_LOGGER = logging.getLogger("benchmark.client")
CLIENT_LOGGER.setLevel(logging.WARNING)


def service_settings(package: str) -> Any:
    """The service's settings, read from the environment as the service reads them."""
    return importlib.import_module(f"{package}.settings").Settings()


def broker_class(name: str) -> Any:
    broker = BROKERS[name]
    return getattr(importlib.import_module(broker.module), broker.broker_class)


class Progress:
    """Counts handled messages (orders and invoices) in a broker middleware and says
    when the last one is done."""

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
                self, call_next: Callable[[Any], Awaitable[Any]], msg: Any
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
    """The upstream contexts of the stream, the same in both processes for one seed;
    sampled as `TraceIdRatioBased(ratio)` would decide."""
    draw = random.Random(seed)  # ids, not secrets
    bound = round(ratio * 2**64)
    headers = []
    for _ in range(orders):
        trace_id = draw.getrandbits(128) or 1
        span_id = draw.getrandbits(64) or 1
        flags = "01" if trace_id & (2**64 - 1) < bound else "00"
        headers.append(f"00-{trace_id:032x}-{span_id:016x}-{flags}")
    return headers


async def feed(arguments: argparse.Namespace) -> None:
    """Publish the stream from a plain, untraced client of the same broker."""
    settings = service_settings(arguments.package)
    feeder = broker_class(arguments.broker)(settings.broker_url, logger=CLIENT_LOGGER)
    headers = traceparents(arguments.orders, arguments.ratio, arguments.seed)
    # As the project's own code publishes an order (its delivery guarantees: MQTT's
    # QoS 1, a JetStream publish confirmed, RabbitMQ's exchange).
    topology = importlib.import_module(f"{arguments.package}.topology")
    destination = topology.address(settings.orders_topic)

    def publish(number: int) -> Awaitable[Any]:
        order = {**ORDER, "order_id": f"order-{number}"}
        traceparent = {"traceparent": headers[number]}
        return feeder.publish(order, headers=traceparent, **destination)

    async with feeder:
        for start in range(0, arguments.orders, FEED_CONCURRENCY):
            end = min(start + FEED_CONCURRENCY, arguments.orders)
            await asyncio.gather(*(publish(number) for number in range(start, end)))


async def clean_up(name: str, package: str) -> None:
    """Remove what the run left on the broker: RabbitMQ's durable queues (named as the
    generated `queues.py` names them) and Redis' streams. Kafka's topics go with the
    benchmark's Tansu broker; core NATS and MQTT at QoS 0 keep nothing."""
    settings = service_settings(package)
    topics = [settings.orders_topic, settings.invoices_topic]
    if name == "rabbit":
        import aio_pika

        connection = await aio_pika.connect(settings.broker_url)
        async with connection:
            channel = await connection.channel()
            for topic in topics:
                queue = f"{settings.consumer_group}.{topic}"
                for doomed in (queue, f"{queue}.dead-letter"):
                    await channel.queue_delete(doomed)
    elif name == "redis":
        from redis.asyncio import Redis

        client = Redis.from_url(settings.broker_url)
        await client.delete(*topics)
        await client.aclose()


def documented_app(name: str, package: str) -> tuple[FastStream, Any, Any]:
    """The generated handlers on a broker set up as FastStream's OpenTelemetry page
    shows, and its tracer provider."""
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    handlers = importlib.import_module(f"{package}.handlers")
    resource = Resource.create(attributes={"service.name": "faststream"})
    tracer_provider = TracerProvider(resource=resource)
    trace.set_tracer_provider(tracer_provider)
    exporter = OTLPSpanExporter(endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    processor = BatchSpanProcessor(exporter)
    tracer_provider.add_span_processor(processor)

    broker = BROKERS[name]
    middleware = getattr(
        importlib.import_module(f"{broker.module}.opentelemetry"),
        broker.middleware_class,
    )
    service = broker_class(name)(
        service_settings(package).broker_url,
        middlewares=(middleware(tracer_provider=tracer_provider),),
    )
    service.include_router(handlers.router)
    return FastStream(service), service, tracer_provider


async def serve(arguments: argparse.Namespace, launched: float) -> dict[str, Any]:
    """One measurement of the service in this process."""
    provider = None
    if arguments.mode == "documented":
        app, broker, provider = documented_app(arguments.broker, arguments.package)
    else:
        service = importlib.import_module(f"{arguments.package}.app")
        app, broker = service.app, service.broker
    progress = Progress(2 * arguments.orders)
    broker.add_middleware(progress.middleware)
    # The service first, then the stream: FastStream starts the subscribers before
    # the publishers, and an order handled in between could not publish its invoice.
    try:
        await app.start()
        ready = time.time() - launched
        feeder = await asyncio.create_subprocess_exec(
            *[sys.executable, __file__, "feed", "--broker", arguments.broker],
            *["--package", arguments.package, "--orders", str(arguments.orders)],
            *["--seed", str(arguments.seed), "--ratio", str(arguments.ratio)],
        )
        waiting = asyncio.ensure_future(progress.done.wait())
        await asyncio.wait([waiting], timeout=60 + arguments.orders / 20)
        waiting.cancel()
        await feeder.wait()
        await app.stop()
        if provider is not None:  # the generated app flushes its own when it stops
            provider.shutdown()
    finally:
        await clean_up(arguments.broker, arguments.package)
    seconds = max(progress.last - progress.first, 1e-9)
    orders = progress.handled / 2
    headers = traceparents(arguments.orders, arguments.ratio, arguments.seed)
    return {
        "orders": arguments.orders,
        "upstream_sampled": sum(header.endswith("-01") for header in headers),
        "handled": progress.handled // 2,
        "seconds": round(seconds, 4),
        "per_second": round(orders / seconds, 1),
        "cpu_us": round((progress.cpu_last - progress.cpu_first) / orders * 1e6, 1)
        if orders
        else 0.0,
        "ready_s": round(ready, 3),
        # Linux reports kilobytes.
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop]:
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve", "feed"])
    parser.add_argument("--broker", choices=list(BROKERS), required=True)
    parser.add_argument("--package", required=True, help="the generated package")
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--ratio", type=float, default=1.0, help="share of upstream traces sampled"
    )
    parser.add_argument("--mode", choices=["service", "documented"], default="service")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument(
        "--launched", type=float, help="time.time() when the process was started"
    )
    arguments = parser.parse_args()
    if arguments.command == "feed":
        asyncio.run(feed(arguments))
        return
    launched = arguments.launched or time.time()
    summary = anyio.run(
        serve,
        arguments,
        launched,
        backend_options={"loop_factory": loop_factory(arguments.loop)},
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

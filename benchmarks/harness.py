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

Before the stream, warm-up orders are sent (from this process, by a plain client,
with sampled upstream contexts: three spans each where the service traces) until one
has gone through the service and nothing more comes:
consumer-group joins (about 16 s on Kafka), lazy imports and first-message work stay
out of the measurement, which starts from zero after it.

Modes (`--mode`):
- `service`: the generated app as it is, configured by the environment that
  `benchmarks.run` sets (bare, template, sampled, signals and the variants differ
  only there);
- `plain`: the plainest FastStream app a user would write: the same two handlers (the
  project's models and pricing) on `<Broker>(BROKER_URL)` with FastStream's defaults
  (`@broker.subscriber(topic)`, `@broker.publisher(topic)`, its default logger), no
  telemetry, none of the template's delivery settings, no probes;
- `documented`: the generated handlers' router on a broker wired exactly as
  FastStream's documentation shows for the same signals: its OpenTelemetry page
  (the telemetry middleware given a `TracerProvider(resource=...)` with a
  `BatchSpanProcessor(OTLPSpanExporter(...))`, the SDK's defaults) and its Prometheus
  page (`<Broker>PrometheusMiddleware(registry=...)` and `/metrics` served by
  `prometheus_client.make_asgi_app(registry)` through `AsgiFastStream`), FastStream's
  default logger, nothing else: what faststream-monitoring, the example FastStream's
  docs link, runs.

Log records the service hands to OpenTelemetry's logging handlers (when it has any:
`OTEL_LOGS_EXPORTER=otlp`) are counted on their way in, so that the benchmark can
tell how many the receiver got of them.

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
from types import ModuleType
from typing import Any

import anyio
from faststream import BaseMiddleware, FastStream


@dataclass(frozen=True)
class Broker:
    """Where FastStream keeps a broker and its telemetry and Prometheus middlewares
    (`<module>.opentelemetry.<X>TelemetryMiddleware`,
    `<module>.prometheus.<X>PrometheusMiddleware`)."""

    module: str
    broker_class: str
    middleware_prefix: str
    # What `publish` calls the destination that `subscriber(name)` reads by default.
    destination: str
    # FastStream's default consumer group is one name for every app (Confluent's
    # "faststream-consumer-group"): a round would join the group the last round's
    # app left, and wait minutes. The plain app takes the round's own group instead.
    own_group: bool = False

    def middleware(self, kind: str) -> Any:
        """`kind` is "Telemetry" or "Prometheus"."""
        module = importlib.import_module(f"{self.module}.{MIDDLEWARE_MODULES[kind]}")
        return getattr(module, f"{self.middleware_prefix}{kind}Middleware")


MIDDLEWARE_MODULES = {"Telemetry": "opentelemetry", "Prometheus": "prometheus"}
BROKERS = {
    "kafka": Broker("faststream.kafka", "KafkaBroker", "Kafka", "topic"),
    "confluent": Broker(
        "faststream.confluent", "KafkaBroker", "Kafka", "topic", own_group=True
    ),
    "rabbit": Broker("faststream.rabbit", "RabbitBroker", "Rabbit", "queue"),
    "nats": Broker("faststream.nats", "NatsBroker", "Nats", "subject"),
    "redis": Broker("faststream.redis", "RedisBroker", "Redis", "channel"),
    "mqtt": Broker("faststream.mqtt", "MQTTBroker", "MQTT", "topic"),
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
# Warm-up orders: one every WARM_UP_INTERVAL_S until one has gone through, then
# WARM_UP_QUIET_S with nothing handled before the measurement starts.
WARM_UP_INTERVAL_S = 0.5
WARM_UP_QUIET_S = 1.0
WARM_UP_LIMIT_S = 120
# A warm-up order's upstream context is sampled: an unsampled one would still give
# spans (FastStream starts a new trace for the invoice), a number less plain to expect.
WARM_UP_CONTEXT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
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
        self.done = asyncio.Event()
        self.restart()

    def restart(self) -> None:
        """From zero: what the warm-up handled is not measured."""
        self.handled = 0
        self.first = 0.0
        self.last = 0.0
        self.cpu_first = 0.0
        self.cpu_last = 0.0

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


def plain_destination(name: str, topic: str) -> dict[str, Any]:
    """`publish` arguments for FastStream's default destination named `topic`."""
    return {BROKERS[name].destination: topic}


def order_destination(arguments: argparse.Namespace) -> dict[str, Any]:
    settings = service_settings(arguments.package)
    if arguments.mode == "plain":
        return plain_destination(arguments.broker, settings.orders_topic)
    topology = importlib.import_module(f"{arguments.package}.topology")
    return dict(topology.address(settings.orders_topic))


def plain_client(arguments: argparse.Namespace) -> Any:
    """A broker of the kind, untraced, logging only problems."""
    settings = service_settings(arguments.package)
    return broker_class(arguments.broker)(settings.broker_url, logger=CLIENT_LOGGER)


async def feed(arguments: argparse.Namespace) -> None:
    """Publish the stream from a plain, untraced client of the same broker."""
    feeder = plain_client(arguments)
    headers = traceparents(arguments.orders, arguments.ratio, arguments.seed)
    target = order_destination(arguments)

    def publish(number: int) -> Awaitable[Any]:
        order = {**ORDER, "order_id": f"order-{number}"}
        traceparent = {"traceparent": headers[number]}
        return feeder.publish(order, headers=traceparent, **target)

    async with feeder:
        for start in range(0, arguments.orders, FEED_CONCURRENCY):
            end = min(start + FEED_CONCURRENCY, arguments.orders)
            await asyncio.gather(*(publish(number) for number in range(start, end)))


async def warm_up(arguments: argparse.Namespace, progress: Progress) -> None:
    """Send unsampled orders until one order and its invoice have been handled, then
    wait until nothing more arrives (orders sent before a consumer group formed)."""
    target = order_destination(arguments)
    deadline = time.monotonic() + WARM_UP_LIMIT_S
    async with plain_client(arguments) as client:
        number = 0
        while progress.handled < 2:
            if time.monotonic() > deadline:
                raise SystemExit(f"no warm-up order handled in {WARM_UP_LIMIT_S} s")
            order = {**ORDER, "order_id": f"warm-up-{number}"}
            headers = {"traceparent": WARM_UP_CONTEXT}
            await client.publish(order, headers=headers, **target)
            number += 1
            await asyncio.sleep(WARM_UP_INTERVAL_S)
        seen = -1
        while seen != progress.handled:
            seen = progress.handled
            await asyncio.sleep(WARM_UP_QUIET_S)


async def create_plain_topics(arguments: argparse.Namespace) -> None:
    """Publish one order and one invoice to the plain app's destinations before it
    starts, so that its Kafka topics (created by their first message) exist when it
    subscribes: a precaution, not shown to matter (the plain Confluent rounds that
    stalled were waiting for FastStream's shared default group, see `own_group`). The
    plain app reads from the latest offset, so these are not handled; elsewhere
    nobody is subscribed yet and the broker drops them."""
    settings = service_settings(arguments.package)
    invoice = {"order_id": "-", "customer_id": "-", "item_count": 0, "total": "0"}
    async with plain_client(arguments) as client:
        for topic, message in (
            (settings.orders_topic, {**ORDER, "order_id": "-"}),
            (settings.invoices_topic, invoice),
        ):
            await client.publish(message, **plain_destination(arguments.broker, topic))


async def clean_up(name: str, package: str) -> None:
    """Remove what the run left on the broker: RabbitMQ's durable queues (named as the
    generated `queues.py` names them, and the plain app's) and Redis' streams. Kafka's
    topics go with the benchmark's Tansu broker; NATS and MQTT keep nothing the
    next round could see (it uses other names)."""
    settings = service_settings(package)
    topics = [settings.orders_topic, settings.invoices_topic]
    if name == "rabbit":
        import aio_pika

        connection = await aio_pika.connect(settings.broker_url)
        async with connection:
            channel = await connection.channel()
            for topic in topics:
                queue = f"{settings.consumer_group}.{topic}"
                for doomed in (queue, f"{queue}.dead-letter", topic):
                    await channel.queue_delete(doomed)
    elif name == "redis":
        from redis.asyncio import Redis

        client = Redis.from_url(settings.broker_url)
        await client.delete(*topics)
        await client.aclose()


def plain_app(name: str, package: str) -> tuple[FastStream, Any, None]:
    """The project's two handlers on a broker with FastStream's defaults."""
    models = importlib.import_module(f"{package}.models")
    settings = service_settings(package)
    logger = logging.getLogger(f"{package}.handlers")
    broker = broker_class(name)(settings.broker_url)

    async def price_order(order: Any) -> Any:
        invoice = models.price(order)
        logger.info("priced order %s: %s", order.order_id, invoice.total)
        return invoice

    async def dispatch_invoice(invoice: Any) -> None:
        logger.info(
            "invoice for order %s ready for customer %s: %s",
            invoice.order_id,
            invoice.customer_id,
            invoice.total,
        )

    # What `order: Order` and `-> Invoice` say in the project's own module.
    price_order.__annotations__ = {"order": models.Order, "return": models.Invoice}
    dispatch_invoice.__annotations__ = {"invoice": models.Invoice, "return": None}
    options = {"group_id": settings.consumer_group} if BROKERS[name].own_group else {}
    broker.subscriber(settings.orders_topic, **options)(
        broker.publisher(settings.invoices_topic)(price_order)
    )
    broker.subscriber(settings.invoices_topic, **options)(dispatch_invoice)
    return FastStream(broker), broker, None


def documented_app(name: str, package: str) -> tuple[FastStream, Any, Any]:
    """The generated handlers on a broker set up as FastStream's OpenTelemetry and
    Prometheus pages show, and its tracer provider."""
    from faststream.asgi import AsgiFastStream
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from prometheus_client import CollectorRegistry, make_asgi_app

    handlers = importlib.import_module(f"{package}.handlers")
    resource = Resource.create(attributes={"service.name": "faststream"})
    tracer_provider = TracerProvider(resource=resource)
    trace.set_tracer_provider(tracer_provider)
    exporter = OTLPSpanExporter(endpoint=os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    processor = BatchSpanProcessor(exporter)
    tracer_provider.add_span_processor(processor)
    registry = CollectorRegistry()

    broker = BROKERS[name]
    service = broker_class(name)(
        service_settings(package).broker_url,
        middlewares=(
            broker.middleware("Prometheus")(registry=registry),
            broker.middleware("Telemetry")(tracer_provider=tracer_provider),
        ),
    )
    service.include_router(handlers.router)
    app = AsgiFastStream(service, asgi_routes=[("/metrics", make_asgi_app(registry))])
    return app, service, tracer_provider


def log_records_handed(service: ModuleType | None) -> int | None:
    """The records the service handed to OpenTelemetry's log pipeline, by its own
    count (`log_export.py`, exact once it has stopped); None when it hands none."""
    log_export = getattr(service, "log_export", None)
    if log_export is None or not log_export.processors:
        return None
    return sum(processor.emitted for processor in log_export.processors)


async def serve(arguments: argparse.Namespace, launched: float) -> dict[str, Any]:
    """One measurement of the service in this process."""
    provider = None
    service = None  # the generated app's module, in the template's modes
    if arguments.mode == "documented":
        app, broker, provider = documented_app(arguments.broker, arguments.package)
    elif arguments.mode == "plain":
        app, broker, provider = plain_app(arguments.broker, arguments.package)
    else:
        service = importlib.import_module(f"{arguments.package}.app")
        app, broker = service.app, service.broker
    progress = Progress(2 * arguments.orders)
    broker.add_middleware(progress.middleware)
    # The service first, then the stream: FastStream starts the subscribers before
    # the publishers, and an order handled in between could not publish its invoice.
    try:
        if arguments.mode == "plain":
            await create_plain_topics(arguments)
        await app.start()
        ready = time.time() - launched
        await warm_up(arguments, progress)
        warm_up_orders = progress.handled // 2
        progress.restart()
        feeder = await asyncio.create_subprocess_exec(
            *[sys.executable, __file__, "feed", "--broker", arguments.broker],
            *["--package", arguments.package, "--orders", str(arguments.orders)],
            *["--seed", str(arguments.seed), "--ratio", str(arguments.ratio)],
            *["--mode", arguments.mode],
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
        "warm_up_orders": warm_up_orders,
        "handled": progress.handled // 2,
        "seconds": round(seconds, 4),
        "per_second": round(orders / seconds, 1),
        "cpu_us": round((progress.cpu_last - progress.cpu_first) / orders * 1e6, 1)
        if orders
        else 0.0,
        "ready_s": round(ready, 3),
        # Linux reports kilobytes.
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # None: the service hands no log records to OpenTelemetry.
        "log_records": log_records_handed(service),
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
    parser.add_argument(
        "--mode", choices=["service", "plain", "documented"], default="service"
    )
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

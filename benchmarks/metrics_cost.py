"""What metrics add per message, for the two ways FastStream offers them.

Run with a generated project's interpreter, in its directory:
`python <this file> <package> [orders a run]`, or `python <this file> <package>
--records` for the two records alone (the `metrics` figure of `benchmarks/run.py`).
Each run is a fresh interpreter that
imports the project's app and sends orders through its broker held in memory
(FastStream's test broker): each order is two messages published and two processed,
through the project's own middlewares, with spans recorded and not exported. Three
configurations, taking turns run by run:

- `traces only`: the telemetry middleware with a no-op meter provider (what the
  project did before it had metrics);
- `otel metrics`: the project as generated, the telemetry middleware recording its
  duration histograms into a `MeterProvider` with a Prometheus reader;
- `prometheus middleware`: traces only, plus FastStream's
  `<Broker>PrometheusMiddleware` with a registry of its own.

The pipeline costs about a millisecond a message, so a difference of a few
microseconds between them is within the noise of a shared machine. The OTel path's
cost is therefore also measured where it is paid: the middleware records one
histogram value per message processed and one per message published, with the same
two attributes, and does the rest of its work either way. `otel record` is two
`record` calls into the project's `MeterProvider` (views and Prometheus reader), less
two into the no-op one, best of five loops of 40 000, inside a sampled span as in the
service; and the same into a provider that keeps exemplars as the SDK does by default.

Prints one JSON line: for each configuration, the best of the runs' CPU microseconds
per message processed and the difference from `traces only`; and `otel record`.
"""

import asyncio
import importlib
import json
import logging
import os
import subprocess
import sys
import time
from typing import Any

CONFIGURATIONS = ("traces only", "otel metrics", "prometheus middleware")
RUNS = 5
ORDERS = 3000  # a run; the second argument changes it
RECORD_LOOP = 40_000  # records of each kind a loop, best of five
MESSAGES_PER_ORDER = 2  # the order and its invoice, each published and processed


def load_app(package: str, configuration: str) -> Any:
    """The project's app module, built for `configuration`."""
    if configuration != "otel metrics":
        from opentelemetry.metrics import NoOpMeterProvider

        metrics = importlib.import_module(f"{package}.metrics")
        metrics.create_meter_provider = lambda resource: NoOpMeterProvider()
    app = importlib.import_module(f"{package}.app")
    if configuration == "prometheus middleware":
        from prometheus_client import CollectorRegistry

        telemetry = type(app.tracing)
        module = importlib.import_module(
            telemetry.__module__.replace(".opentelemetry", ".prometheus")
        )
        middleware = getattr(
            module, telemetry.__name__.replace("Telemetry", "Prometheus")
        )
        app.broker.add_middleware(middleware(registry=CollectorRegistry()))
    return app


ORDER = {
    "order_id": "order-1",
    "customer_id": "customer-1",
    "items": [{"sku": "tea", "quantity": 2, "unit_price": "4.25"}],
}
WARM_UP = 200  # orders before the measured ones


def in_memory(package: str, app: Any) -> tuple[Any, dict[str, Any]]:
    """FastStream's test broker for the app's broker, and the arguments of `publish`
    that send an order to the service."""
    topology = importlib.import_module(f"{package}.topology")
    broker_module = importlib.import_module(
        type(app.broker).__module__.split(".broker")[0]
    )
    test_broker = getattr(broker_module, f"Test{type(app.broker).__name__}")
    return test_broker(app.broker), topology.address(topology.settings.orders_topic)


async def send_orders(package: str, configuration: str, orders: int) -> float:
    """CPU seconds for `orders` orders through the in-memory broker."""
    app = load_app(package, configuration)
    test_broker, destination = in_memory(package, app)
    order = ORDER
    async with test_broker as broker:
        for _ in range(WARM_UP):
            await broker.publish(order, **destination)
        started = time.process_time()
        for _ in range(orders):
            await broker.publish(order, **destination)
        return time.process_time() - started


def record_cost(package: str) -> dict[str, float]:
    """Microseconds of CPU the OTel path adds per message: the two histogram records
    (one process, one publish) with the attributes FastStream gives them (their values
    Redis's for every broker: only their number and kind weigh), made as in
    the service, inside a sampled span; into the project's provider as generated, and
    into one that keeps exemplars as the SDK does by default, each less the no-op."""
    from opentelemetry import trace
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    metrics = importlib.import_module(f"{package}.metrics")
    telemetry = importlib.import_module(f"{package}.telemetry")
    durations = importlib.import_module(f"{package}.durations")
    process = {
        "messaging.system": "redis",
        "messaging.destination_publish.name": "orders",
    }
    publish = {"messaging.system": "redis", "messaging.destination.name": "invoices"}
    span = TracerProvider().get_tracer(__name__).start_span("orders process")

    def loop(provider: Any) -> float:
        # The service's meter (durations.py), which its buckets' View names.
        meter = provider.get_meter(durations.METER)
        processed = meter.create_histogram("messaging.process.duration", unit="s")
        published = meter.create_histogram("messaging.publish.duration", unit="s")
        best = float("inf")
        with trace.use_span(span):
            for _ in range(5):
                started = time.process_time()
                for _ in range(RECORD_LOOP):
                    processed.record(0.0123, process)
                    published.record(0.0045, publish)
                best = min(best, (time.process_time() - started) / RECORD_LOOP * 1e6)
        return best

    resource = telemetry.build_resource()
    generated = metrics.create_meter_provider(resource)
    os.environ["OTEL_METRICS_EXEMPLAR_FILTER"] = "trace_based"
    with_exemplars = metrics.create_meter_provider(resource)
    noop = loop(NoOpMeterProvider())
    return {
        "otel record": loop(generated) - noop,
        "otel record, SDK default exemplars": loop(with_exemplars) - noop,
    }


def one_run(package: str, configuration: str, orders: int) -> float:
    """Microseconds of CPU per message processed, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, __file__, package, str(orders), configuration],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    package = sys.argv[1]
    if sys.argv[2:] == ["--records"]:  # the records alone: `benchmarks/run.py` asks
        figures = {name: round(us, 2) for name, us in record_cost(package).items()}
        print(json.dumps(figures))
        return
    orders = int(sys.argv[2]) if len(sys.argv) > 2 else ORDERS
    if len(sys.argv) > 3:  # one run, in the child interpreter
        logging.disable(logging.CRITICAL)
        seconds = asyncio.run(send_orders(package, sys.argv[3], orders))
        print(seconds / (orders * MESSAGES_PER_ORDER) * 1e6)
        return
    best = {name: float("inf") for name in CONFIGURATIONS}
    for _ in range(RUNS):
        for name in CONFIGURATIONS:
            best[name] = min(best[name], one_run(package, name, orders))
    base = best["traces only"]
    figures: dict[str, Any] = {
        name: {"us_per_message": round(us, 1), "added_us": round(us - base, 1)}
        for name, us in best.items()
    }
    for name, added in record_cost(package).items():
        figures[name] = {"added_us": round(added, 2)}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

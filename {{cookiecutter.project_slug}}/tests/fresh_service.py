{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service as a new process would start it, in this one: its modules imported
afresh, so its settings and the SDK read the environment as the test set it, and the
app gets a tracer provider, broker and handlers of its own (the other tests' are left
alone, even when this one shuts its provider down).

Afterwards the modules the other tests share, and the logging setup the fresh app
replaced, are put back.
"""

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib import import_module
from types import ModuleType

from faststream import TestApp
from {{ broker.module }} import {{ broker.broker_class }}, {{ broker.test_broker }}
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext

from {{ cookiecutter.package_name }}.logs import BROKER_LOGGER
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.messages import ORDER

PACKAGE = "{{ cookiecutter.package_name }}"


def package_modules() -> dict[str, ModuleType]:
    return {
        name: module
        for name, module in sys.modules.items()
        if name == PACKAGE or name.startswith(f"{PACKAGE}.")
    }


@contextmanager
def logging_put_back() -> Iterator[None]:
    """The root and broker loggers as they were, whatever the app set up meanwhile
    (and pytest's handlers out of the way: the app's setup closes the root's)."""
    root, broker_logger = logging.getLogger(), logging.getLogger(BROKER_LOGGER)
    root_level, root_handlers = root.level, root.handlers
    level, handlers = broker_logger.level, broker_logger.handlers
    propagate = broker_logger.propagate
    root.handlers = []
    try:
        yield
    finally:
        root.setLevel(root_level)
        root.handlers = root_handlers
        broker_logger.setLevel(level)
        broker_logger.handlers, broker_logger.propagate = handlers, propagate


@contextmanager
def fresh_import(*names: str) -> Iterator[list[ModuleType]]:
    """The package's modules `names` (e.g. "app"), and all they import from it,
    imported again."""
    shared = package_modules()
    for name in shared:
        del sys.modules[name]
    try:
        with logging_put_back():
            yield [import_module(f"{PACKAGE}.{name}") for name in names]
    finally:
        fresh_app = sys.modules.get(f"{PACKAGE}.app")
        if fresh_app is not None and fresh_app is not shared.get(f"{PACKAGE}.app"):
            # Its metric reader registered with prometheus_client's global registry,
            # which the shared app's /metrics reads: take it off again.
            fresh_app.meter_provider.shutdown()
        for name in package_modules():
            del sys.modules[name]
        sys.modules.update(shared)


@asynccontextmanager
async def running(service: ModuleType) -> AsyncIterator[{{ broker.broker_class }}]:
    """The app started on the in-memory broker (span export begins), and stopped on
    the way out (queued spans are flushed), as `faststream run` starts and stops it."""
    async with {{ broker.test_broker }}(service.broker) as broker, TestApp(service.app):
        yield broker


async def send_orders(broker: {{ broker.broker_class }}, count: int) -> None:
    for number in range(count):
        order = {**ORDER, "order_id": f"order-{number}"}
        await broker.publish(order, **address(settings.orders_topic))


async def run_service(orders: int = 1, upstream: SpanContext | None = None) -> None:
    """The service's whole life, once, with `orders` orders through it; sent from
    within the `upstream` span if given (another service's: each order's trace
    continues it)."""
    with fresh_import("app") as (service,):
        async with running(service) as broker:
            if upstream is None:
                await send_orders(broker, orders)
            else:
                with trace.use_span(NonRecordingSpan(upstream)):
                    await send_orders(broker, orders)

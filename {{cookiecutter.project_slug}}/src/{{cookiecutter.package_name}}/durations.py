{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""FastStream's two duration histograms, recorded while the message's span is current,
so that each measurement of a sampled trace can keep an exemplar: a trace id beside
its bucket, which Grafana opens as the trace.

FastStream 0.7.8's telemetry middleware records `messaging.process.duration` and
`messaging.publish.duration` in a `finally` after it has left the span, so its
measurements have no span and never an exemplar (README.md, "Why the service times
messages itself"). This middleware sits inside FastStream's and records the same
instruments: the same names, unit, attributes (from FastStream's own attribute
provider for this broker) and, through metrics.py's View, buckets. metrics.py gives
FastStream's own two histograms nowhere to go (a View that drops them), so each
message is counted once; FastStream's message counters are left as they are.
"""

import time
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import BaseMiddleware, ContextRepo, StreamMessage
from {{ broker.middleware_module }}.provider import (
    {{ broker.settings_provider }},
)
from opentelemetry.metrics import Histogram, MeterProvider

# The meter FastStream's middleware records with (its module's name), and ours.
FASTSTREAM_METER = "faststream.opentelemetry.middleware"
METER = "{{ cookiecutter.package_name }}.durations"
DURATION_INSTRUMENTS = "messaging.*.duration"

# The semantic conventions' attribute names, as FastStream sets them.
MESSAGING_SYSTEM = "messaging.system"
PUBLISH_DESTINATION = "messaging.destination.name"
PROCESS_DESTINATION = "messaging.destination_publish.name"
ERROR_TYPE = "error.type"


class MessagingDurations:
    """The two histograms, and what FastStream calls for every message it processes
    or publishes: it builds the middleware that times that one."""

    def __init__(self, meter_provider: MeterProvider) -> None:
        meter = meter_provider.get_meter(METER)
        self.process = meter.create_histogram(
            "messaging.process.duration",
            unit="s",
            description="Measures the duration of process operation.",
        )
        self.publish = meter.create_histogram(
            "messaging.publish.duration",
            unit="s",
            description="Measures the duration of publish operation.",
        )
        self.attributes = {{ broker.settings_provider }}()

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> "DurationTimer":
        return DurationTimer(msg, context=context, durations=self)


class DurationTimer(BaseMiddleware[Any, Any]):
    """Times one message's processing or publishing and records it before FastStream
    leaves the message's span; a handler's exception is named in `error.type`."""

    def __init__(
        self, msg: Any, /, *, context: ContextRepo, durations: MessagingDurations
    ) -> None:
        super().__init__(msg, context=context)
        self.durations = durations

    async def consume_scope(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> Any:
        provider = self.durations.attributes
        attributes = {
            MESSAGING_SYSTEM: provider.messaging_system,
            PROCESS_DESTINATION: provider.get_consume_destination_name(msg),
        }
        return await timed(self.durations.process, attributes, call_next(msg))

    async def publish_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any
    ) -> Any:
        provider = self.durations.attributes
        attributes = {
            MESSAGING_SYSTEM: provider.messaging_system,
            PUBLISH_DESTINATION: provider.get_publish_destination_name(cmd),
        }
        return await timed(self.durations.publish, attributes, call_next(cmd))


async def timed(
    histogram: Histogram, attributes: dict[str, str], call: Awaitable[Any]
) -> Any:
    """Awaits `call` and records how long it took, while the caller's span is still
    the current one (the SDK takes an exemplar's trace id from the current span)."""
    started = time.perf_counter()
    try:
        return await call
    except Exception as error:
        attributes[ERROR_TYPE] = type(error).__name__
        raise
    finally:
        histogram.record(time.perf_counter() - started, attributes)

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set exporter = cookiecutter._exporters[cookiecutter.exporter] -%}
"""OpenTelemetry wiring: the resource, the tracer provider, the broker middleware and
the exporter.

Everything is configured by the standard `OTEL_*` environment variables (service name,
resource attributes, sampler, batch processor, exporter endpoint), which the SDK reads.
"""

import logging
import os
import uuid
from importlib.metadata import PackageNotFoundError, version

from {{ broker.middleware_module }} import {{ broker.middleware_class }}
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import (
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_VERSION,
    OTELResourceDetector,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider

from {{ cookiecutter.package_name }}.durations import MessagingDurations
from {{ cookiecutter.package_name }}.export_health import (
    ReportingBatchProcessor,
)
from {{ cookiecutter.package_name }}.exporters.{{ exporter.module }} import (
    build_span_exporter,
)
from {{ cookiecutter.package_name }}.settings import (
    SERVICE_NAME as DEFAULT_SERVICE_NAME,
)

logger = logging.getLogger(__name__)


def service_version() -> str:
    try:
        return version(DEFAULT_SERVICE_NAME)
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


# This process among the service's replicas (a random UUID, as the semantic
# conventions advise): metrics pushed over OTLP by several replicas would otherwise
# land in the same series (Prometheus makes it the `instance` label).
INSTANCE_ID = str(uuid.uuid4())


def build_resource() -> Resource:
    """Service name, version and instance, unless OTEL_SERVICE_NAME or
    OTEL_RESOURCE_ATTRIBUTES say otherwise (the environment wins, as the
    specification asks)."""
    defaults = Resource.create(
        {
            SERVICE_NAME: DEFAULT_SERVICE_NAME,
            SERVICE_VERSION: service_version(),
            SERVICE_INSTANCE_ID: INSTANCE_ID,
        }
    )
    return defaults.merge(OTELResourceDetector().detect())


def create_tracer_provider() -> TracerProvider:
    """A provider with no exporter yet: spans are exported once the app starts
    (`start_exporting`), so importing the app never opens a connection. The sampler
    comes from OTEL_TRACES_SAMPLER (default `parentbased_always_on`)."""
    return TracerProvider(resource=build_resource())


def sdk_disabled() -> bool:
    return os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def telemetry_middleware(
    tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> {{ broker.middleware_class }} | None:
    """FastStream's telemetry middleware for this broker, as it ships: a span per
    publish and per message processed, with W3C `traceparent` carried in the message
    headers, and the duration of each in a histogram (recorded by durations.py, which
    the broker places inside it: see metrics.py). None with OTEL_SDK_DISABLED=true: no
    per-message telemetry work at all."""
    if sdk_disabled():
        return None
    return {{ broker.middleware_class }}(
        tracer_provider=tracer_provider, meter_provider=meter_provider
    )


def duration_middleware(meter_provider: MeterProvider) -> MessagingDurations | None:
    """Times each message inside the span telemetry_middleware opens, so sampled
    traces leave exemplars. None with OTEL_SDK_DISABLED=true, as the spans."""
    if sdk_disabled():
        return None
    return MessagingDurations(meter_provider)


# The batch processor's thread can wait a few hundred milliseconds for the GIL while
# the event loop is busy; at a few thousand spans a second the SDK's 2048-span queue
# then overflows. 8192 spans (about 23 MB when full) hold two seconds of that. Log
# records (about as many a message as spans) get a queue of the same size.
SPAN_QUEUE_SIZE = 8192


def queue_size(variable: str) -> int | None:
    """Ours, unless `variable` (OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BLRP_MAX_QUEUE_SIZE) is
    set: the SDK reads it, given None."""
    return None if os.environ.get(variable) else SPAN_QUEUE_SIZE


def span_queue_size() -> int | None:
    return queue_size("OTEL_BSP_MAX_QUEUE_SIZE")


def start_exporting(tracer_provider: TracerProvider) -> None:
    """Export spans in batches through the configured exporter, and make the provider
    the global one so that any other instrumentation joins the same traces."""
    if sdk_disabled():
        logger.info("OTEL_SDK_DISABLED=true: tracing is off")
        return
    exporter = build_span_exporter()
    tracer_provider.add_span_processor(
        ReportingBatchProcessor(exporter, max_queue_size=span_queue_size())
    )
    trace.set_tracer_provider(tracer_provider)
    logger.info("exporting spans with %s", type(exporter).__name__)

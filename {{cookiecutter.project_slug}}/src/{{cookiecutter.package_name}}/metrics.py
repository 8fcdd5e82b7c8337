{%- set exporter = cookiecutter._exporters[cookiecutter.exporter] -%}
"""Metrics: FastStream's `messaging.process.duration` and `messaging.publish.duration`
histograms (seconds, by destination and error type; their counts are the messages),
recorded inside each message's span by durations.py, collected by an OpenTelemetry
`MeterProvider` and served at /metrics in Prometheus' text format.
{%- if exporter.pushes_metrics %}
With OTEL_METRICS_EXPORTER=otlp they are also pushed over OTLP, to the same endpoint
as the spans (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT to change it), every
OTEL_METRIC_EXPORT_INTERVAL milliseconds (default 60000), with exemplars: the trace
id of a sampled message beside its bucket.
{%- endif %}

/metrics also has the process's CPU, memory and garbage collector figures, which the
Prometheus client collects by itself. OTEL_SDK_DISABLED=true turns the messaging
metrics off together with the traces.
"""

import os

from faststream.asgi import AsgiResponse, get
from faststream.asgi.types import Scope
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    ExemplarFilter,
    MeterProvider,
{%- if exporter.pushes_metrics %}
    TraceBasedExemplarFilter,
{%- endif %}
)
from opentelemetry.sdk.metrics.export import (
    MetricReader,
{%- if exporter.pushes_metrics %}
    PeriodicExportingMetricReader,
{%- endif %}
)
from opentelemetry.sdk.metrics.view import (
    DropAggregation,
    ExplicitBucketHistogramAggregation,
    View,
)
from opentelemetry.sdk.resources import Resource
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from {{ cookiecutter.package_name }}.durations import (
    DURATION_INSTRUMENTS,
    FASTSTREAM_METER,
    METER,
)
from {{ cookiecutter.package_name }}.exporter_names import (
    requested_exporters as requested,
)
{%- if exporter.pushes_metrics %}
from {{ cookiecutter.package_name }}.exporters.{{ exporter.module }} import (
    build_metric_exporter,
)
{%- endif %}

# The semantic conventions' buckets for messaging durations, in seconds (the SDK's
# default ones, up to 10 000, are meant for milliseconds).
DURATION_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
)
# /metrics is always served; these add nothing to it, or push besides it.
ACCEPTED_EXPORTERS = ("prometheus", "none"{% if exporter.pushes_metrics %}, "otlp"{% endif %})


def requested_exporters() -> set[str]:
    """The names in OTEL_METRICS_EXPORTER (comma separated); the service exits on one
    it does not know."""
    return requested(
        "OTEL_METRICS_EXPORTER", ACCEPTED_EXPORTERS, "/metrics is always served"
    )


def create_meter_provider(resource: Resource) -> MeterProvider:
    """A provider whose readers collect only when asked: importing the app sends
    nothing."""
    readers: list[MetricReader] = [PrometheusMetricReader()]
{%- if exporter.pushes_metrics %}
    if "otlp" in requested_exporters():
        readers.append(PeriodicExportingMetricReader(build_metric_exporter()))
{%- else %}
    requested_exporters()  # refuses a name this service does not know
{%- endif %}
    return MeterProvider(
        metric_readers=readers,
        resource=resource,
        views=duration_views(),
        exemplar_filter=exemplar_filter(),
    )


def duration_views() -> list[View]:
    """The service's buckets for durations.py's histograms; FastStream's own records
    of the same durations (made outside the span, so without exemplars) go nowhere."""
    return [
        View(
            instrument_name=DURATION_INSTRUMENTS,
            meter_name=METER,
            aggregation=ExplicitBucketHistogramAggregation(DURATION_BUCKETS),
        ),
        View(
            instrument_name=DURATION_INSTRUMENTS,
            meter_name=FASTSTREAM_METER,
            aggregation=DropAggregation(),
        ),
    ]


def exemplar_filter() -> ExemplarFilter | None:
    """OTEL_METRICS_EXEMPLAR_FILTER when set (None lets the SDK read it). Otherwise
    exemplars of sampled traces (`trace_based`, the specification's default) when the
    metrics are pushed, and none when they are only served at /metrics, whose text
    format cannot carry them: they cost about a third of each record."""
    if os.environ.get("OTEL_METRICS_EXEMPLAR_FILTER"):
        return None
{%- if exporter.pushes_metrics %}
    if "otlp" in requested_exporters():
        return TraceBasedExemplarFilter()
{%- endif %}
    return AlwaysOffExemplarFilter()


@get(include_in_schema=False)
async def metrics_endpoint(scope: Scope) -> AsgiResponse:
    """Everything in the Prometheus client's registry, the reader's metrics included."""
    return AsgiResponse(
        generate_latest(REGISTRY), 200, {"content-type": CONTENT_TYPE_LATEST}
    )

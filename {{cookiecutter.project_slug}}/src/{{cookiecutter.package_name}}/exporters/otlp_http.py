"""OTLP over HTTP with protobuf bodies.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (default
http://localhost:4318; `/v1/traces` is appended) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
(used verbatim, so it must end in `/v1/traces`), _HEADERS, _TIMEOUT, _COMPRESSION
and _CERTIFICATE.
"""

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace.export import SpanExporter


def build_span_exporter() -> SpanExporter:
    return OTLPSpanExporter()


def build_metric_exporter() -> MetricExporter:
    """For OTEL_METRICS_EXPORTER=otlp: the same variables, with _METRICS_ in place of
    _TRACES_ for a metrics-only setting."""
    return OTLPMetricExporter()

"""OTLP over HTTP with protobuf bodies.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (default
http://localhost:4318; `/v1/traces` is appended) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
(used verbatim, so it must end in `/v1/traces`), _HEADERS, _TIMEOUT, _COMPRESSION
and _CERTIFICATE.
"""

from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace.export import SpanExporter


def build_span_exporter() -> SpanExporter:
    return OTLPSpanExporter()


def build_metric_exporter() -> MetricExporter:
    """For OTEL_METRICS_EXPORTER=otlp: the same variables, with _METRICS_ in place of
    _TRACES_ for a metrics-only setting."""
    return OTLPMetricExporter()


def build_log_exporter() -> LogRecordExporter:
    """For OTEL_LOGS_EXPORTER=otlp: the same variables, with _LOGS_ in place of
    _TRACES_ for a logs-only setting (`/v1/logs` is appended to the generic
    endpoint). OpenTelemetry Python keeps it in a `_log_exporter` module (see
    log_export.py)."""
    return OTLPLogExporter()

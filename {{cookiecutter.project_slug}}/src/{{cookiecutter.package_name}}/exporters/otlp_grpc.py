"""OTLP over gRPC, the protocol every OpenTelemetry backend accepts.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; default http://localhost:4317), _HEADERS,
_TIMEOUT, _COMPRESSION, _CERTIFICATE and _INSECURE.
"""

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
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
    _TRACES_ for a logs-only setting. OpenTelemetry Python keeps it in a
    `_log_exporter` module (see log_export.py)."""
    return OTLPLogExporter()

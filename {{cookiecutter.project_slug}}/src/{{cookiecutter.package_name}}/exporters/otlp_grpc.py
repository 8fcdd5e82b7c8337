"""OTLP over gRPC, the protocol every OpenTelemetry backend accepts.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; default http://localhost:4317), _HEADERS,
_TIMEOUT, _COMPRESSION, _CERTIFICATE and _INSECURE.
"""

import logging
import os

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
    OTLPMetricExporter as HttpMetricExporter,
)
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.metrics.export import MetricExporter
from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

METRICS_PROTOCOLS = ("grpc", "http/protobuf")


def build_span_exporter() -> SpanExporter:
    return OTLPSpanExporter()


def metrics_protocol() -> str:
    """OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else
    gRPC. One this service cannot speak is logged and the service exits."""
    name = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
    if not os.environ.get(name):
        name = "OTEL_EXPORTER_OTLP_PROTOCOL"
    value = os.environ.get(name, "").strip() or "grpc"
    if value not in METRICS_PROTOCOLS:
        logger.critical(
            "%s=%r: this service pushes metrics with %s",
            name,
            value,
            " or ".join(METRICS_PROTOCOLS),
        )
        raise SystemExit(2)
    return value


def build_metric_exporter() -> MetricExporter:
    """For OTEL_METRICS_EXPORTER=otlp: the same variables, with _METRICS_ in place of
    _TRACES_ for a metrics-only setting. OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=
    http/protobuf pushes over HTTP instead (to Prometheus' OTLP receiver, which takes
    no gRPC); OTEL_EXPORTER_OTLP_METRICS_ENDPOINT then ends in `/v1/metrics`."""
    if metrics_protocol() == "http/protobuf":
        return HttpMetricExporter()
    return OTLPMetricExporter()


def build_log_exporter() -> LogRecordExporter:
    """For OTEL_LOGS_EXPORTER=otlp: the same variables, with _LOGS_ in place of
    _TRACES_ for a logs-only setting. OpenTelemetry Python keeps it in a
    `_log_exporter` module (see log_export.py)."""
    return OTLPLogExporter()

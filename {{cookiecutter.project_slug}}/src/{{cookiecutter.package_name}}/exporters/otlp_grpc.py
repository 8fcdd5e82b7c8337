"""OTLP over gRPC, the protocol every OpenTelemetry backend accepts.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; default http://localhost:4317), _HEADERS,
_TIMEOUT, _COMPRESSION, _CERTIFICATE and _INSECURE.
"""

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExporter


def build_span_exporter() -> SpanExporter:
    return OTLPSpanExporter()

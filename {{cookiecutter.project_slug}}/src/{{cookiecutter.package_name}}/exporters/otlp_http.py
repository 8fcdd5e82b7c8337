"""OTLP over HTTP with protobuf bodies.

Configured by the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (default
http://localhost:4318; `/v1/traces` is appended) or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
(used verbatim, so it must end in `/v1/traces`), _HEADERS, _TIMEOUT, _COMPRESSION
and _CERTIFICATE.
"""

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExporter


def build_span_exporter() -> SpanExporter:
    return OTLPSpanExporter()

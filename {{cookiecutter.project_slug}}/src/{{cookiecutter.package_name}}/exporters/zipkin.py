"""Zipkin's JSON v2 format over HTTP.

Configured by the standard variables OTEL_EXPORTER_ZIPKIN_ENDPOINT (default
http://localhost:9411/api/v2/spans) and OTEL_EXPORTER_ZIPKIN_TIMEOUT.
"""

from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.trace.export import SpanExporter


def build_span_exporter() -> SpanExporter:
    return ZipkinExporter()

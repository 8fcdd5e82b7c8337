"""Spans printed to stdout as JSON, one object per span: for local runs and demos."""

import sys

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter


def build_span_exporter() -> SpanExporter:
    # Resolved now rather than when the SDK was imported, so redirection applies.
    return ConsoleSpanExporter(out=sys.stdout)

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Spans printed to stdout as JSON, one object per span: for local runs and demos."""
{%- if broker.bytes_span_attributes %}

import os
import sys

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter


def to_json(span: ReadableSpan) -> str:
    """The span as the SDK prints it, except that bytes attribute values (FastStream
    records message keys as bytes) are printed as text: the SDK's own formatter
    fails on them and the span would be lost."""
    attributes = {
        key: value.decode(errors="backslashreplace")
        if isinstance(value, bytes)
        else value
        for key, value in (span.attributes or {}).items()
    }
    printable = ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
    return str(printable.to_json()) + os.linesep


def build_span_exporter() -> SpanExporter:
    # stdout is resolved now rather than when the SDK was imported, so redirection
    # applies.
    return ConsoleSpanExporter(out=sys.stdout, formatter=to_json)
{%- else %}

import sys

from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter


def build_span_exporter() -> SpanExporter:
    # stdout is resolved now rather than when the SDK was imported, so redirection
    # applies.
    return ConsoleSpanExporter(out=sys.stdout)
{%- endif %}

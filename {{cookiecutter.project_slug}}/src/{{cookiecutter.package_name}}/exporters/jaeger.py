"""Jaeger's native Thrift protocol, sent as compact-encoded UDP datagrams to a Jaeger
agent (or to a Jaeger v2 / OpenTelemetry Collector `jaeger` receiver on 6831/udp).

Upstream deprecated this exporter in 1.16 and removed it after 1.21; it only imports
with opentelemetry-sdk 1.39, which this project pins. Jaeger has accepted OTLP since
1.35: prefer the OTLP exporters for new services.

OpenTelemetry has no current variable for the agent address, so this keeps the names
the old specification used: OTEL_EXPORTER_JAEGER_AGENT_HOST (default localhost) and
OTEL_EXPORTER_JAEGER_AGENT_PORT (default 6831).
"""

import os

from opentelemetry.exporter.jaeger.thrift import JaegerExporter
from opentelemetry.sdk.trace.export import SpanExporter

DEFAULT_AGENT_HOST = "localhost"
DEFAULT_AGENT_PORT = 6831


def agent_address() -> tuple[str, int]:
    host = os.environ.get("OTEL_EXPORTER_JAEGER_AGENT_HOST") or DEFAULT_AGENT_HOST
    port = os.environ.get("OTEL_EXPORTER_JAEGER_AGENT_PORT") or str(DEFAULT_AGENT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        msg = f"OTEL_EXPORTER_JAEGER_AGENT_PORT must be a port number, not {port!r}"
        raise ValueError(msg)
    return host, int(port)


def build_span_exporter() -> SpanExporter:
    host, port = agent_address()
    exporter: SpanExporter = JaegerExporter(agent_host_name=host, agent_port=port)
    return exporter

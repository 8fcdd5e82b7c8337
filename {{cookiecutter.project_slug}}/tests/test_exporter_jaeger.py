"""The Jaeger exporter really sends spans: a UDP socket stands in for the agent and
decodes the Thrift `emitBatch` call it receives."""

import socket
from collections.abc import Iterator

import pytest
from opentelemetry.exporter.jaeger.thrift.gen.agent import Agent
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from thrift.protocol import TCompactProtocol
from thrift.transport import TTransport

from {{ cookiecutter.package_name }}.exporters.jaeger import (
    agent_address,
    build_span_exporter,
)
from {{ cookiecutter.package_name }}.telemetry import build_resource
from tests.exported import ExportedSpan, assert_exported_pipeline
from tests.fresh_service import run_service


@pytest.fixture
def agent() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.settimeout(5)
        yield udp


def decode_emit_batch(datagram: bytes) -> Agent.emitBatch_args:
    protocol = TCompactProtocol.TCompactProtocol(TTransport.TMemoryBuffer(datagram))
    name, _, _ = protocol.readMessageBegin()
    assert name == "emitBatch"
    call = Agent.emitBatch_args()
    call.read(protocol)
    return call


def test_default_agent_is_local() -> None:
    assert agent_address() == ("localhost", 6831)


def test_agent_address_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", "jaeger")
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", "6832")

    assert agent_address() == ("jaeger", 6832)


@pytest.mark.parametrize("port", ["udp", "0", "70000"])
def test_a_bad_agent_port_is_refused(
    monkeypatch: pytest.MonkeyPatch, port: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", port)

    with pytest.raises(ValueError, match="OTEL_EXPORTER_JAEGER_AGENT_PORT"):
        agent_address()


def test_spans_reach_the_agent_as_thrift(
    agent: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = agent.getsockname()
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", host)
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", str(port))
    provider = TracerProvider(resource=build_resource())
    provider.add_span_processor(SimpleSpanProcessor(build_span_exporter()))

    with provider.get_tracer(__name__).start_as_current_span("orders process") as span:
        trace_id = span.get_span_context().trace_id
    provider.shutdown()

    batch = decode_emit_batch(agent.recv(65535)).batch
    assert batch.process.serviceName == "{{ cookiecutter.project_slug }}"
    assert [s.operationName for s in batch.spans] == ["orders process"]
    jaeger_span = batch.spans[0]
    # Jaeger splits the 128-bit trace id into two signed 64-bit halves.
    low = jaeger_span.traceIdLow & 0xFFFFFFFFFFFFFFFF
    high = jaeger_span.traceIdHigh & 0xFFFFFFFFFFFFFFFF
    assert (high << 64) | low == trace_id


def unsigned(value: int) -> int:
    return value & 0xFFFFFFFFFFFFFFFF


def received_spans(agent: socket.socket) -> list[ExportedSpan]:
    """Every span in the datagrams that reached the agent (all of them are in its
    receive buffer once the service has stopped: loopback UDP has no delay)."""
    spans: list[ExportedSpan] = []
    agent.setblocking(False)
    while True:
        try:
            datagram = agent.recv(65535)
        except BlockingIOError:
            return spans
        batch = decode_emit_batch(datagram).batch
        spans += [
            ExportedSpan(
                name=span.operationName,
                trace_id=(unsigned(span.traceIdHigh) << 64) | unsigned(span.traceIdLow),
                span_id=unsigned(span.spanId),
                parent_id=unsigned(span.parentSpanId) or None,
                service_name=batch.process.serviceName,
            )
            for span in batch.spans
        ]


async def test_the_pipeline_s_spans_reach_a_jaeger_agent(
    agent: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    host, port = agent.getsockname()
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_HOST", host)
    monkeypatch.setenv("OTEL_EXPORTER_JAEGER_AGENT_PORT", str(port))

    await run_service()

    assert_exported_pipeline(received_spans(agent))

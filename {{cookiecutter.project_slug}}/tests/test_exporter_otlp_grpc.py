"""The OTLP gRPC exporter: configured by the standard variables, and delivering the
pipeline's spans to a real OTLP trace service."""

from collections.abc import Iterator, Sequence
from concurrent import futures

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from {{ cookiecutter.package_name }}.exporters.otlp_grpc import build_span_exporter
from tests.exported import ExportedSpan, assert_exported_pipeline, environment
from tests.pipeline_run_client import run_pipeline


def test_default_endpoint_is_the_local_collector() -> None:
    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "localhost:4317"


def test_endpoint_comes_from_the_standard_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")

    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "collector:4317"
    assert exporter._insecure


def test_traces_endpoint_beats_the_generic_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example:443"
    )

    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "traces.example:443"
    assert not exporter._insecure


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """The OTLP trace service, as a collector or backend implements it."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []

    def Export(  # noqa: N802 - the name the protocol gives it
        self, request: ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> ExportTraceServiceResponse:
        self.requests.append(request)
        return ExportTraceServiceResponse()

    def spans(self) -> list[ExportedSpan]:
        return [
            ExportedSpan(
                name=span.name,
                trace_id=int.from_bytes(span.trace_id, "big"),
                span_id=int.from_bytes(span.span_id, "big"),
                parent_id=int.from_bytes(span.parent_span_id, "big") or None,
                service_name=service_name(resource_spans.resource.attributes),
            )
            for request in self.requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]


def service_name(attributes: Sequence[KeyValue]) -> str:
    (name,) = [a.value.string_value for a in attributes if a.key == "service.name"]
    return name


@pytest.fixture
def collector() -> Iterator[tuple[Collector, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    collector = Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield collector, port
    server.stop(grace=None)


def test_the_pipeline_s_spans_reach_an_otlp_grpc_collector(
    collector: tuple[Collector, int],
) -> None:
    receiver, port = collector

    run_pipeline(
        environment=environment(OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}")
    )

    assert_exported_pipeline(receiver.spans())

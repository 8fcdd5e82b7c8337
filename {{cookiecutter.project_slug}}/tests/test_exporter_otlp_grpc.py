"""The OTLP gRPC exporter: configured by the standard variables, and delivering the
pipeline's spans to a real OTLP trace service, and with OTEL_METRICS_EXPORTER=otlp
the metrics to its metrics service."""

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from {{ cookiecutter.package_name }}.exporters.otlp_grpc import (
    build_span_exporter,
)
from tests.exported import assert_exported_pipeline, environment
from tests.otlp_request import exported_spans
from tests.pipeline_run_client import run_pipeline
from tests.pushed_metrics import assert_pushed_duration, push_a_duration


def test_the_exporter_is_otlp_over_grpc() -> None:
    """Its endpoint and options come from the standard OTEL_EXPORTER_OTLP_* variables,
    which the SDK reads; the test below sends through it to a real receiver."""
    assert isinstance(build_span_exporter(), OTLPSpanExporter)


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """The OTLP trace service, as a collector or backend implements it."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []

    def Export(  # noqa: N802 - the name the protocol gives it
        self, request: ExportTraceServiceRequest, context: grpc.ServicerContext
    ) -> ExportTraceServiceResponse:
        self.requests.append(request)
        return ExportTraceServiceResponse()


class MetricsCollector(metrics_service_pb2_grpc.MetricsServiceServicer):
    """The OTLP metrics service."""

    def __init__(self) -> None:
        self.requests: list[ExportMetricsServiceRequest] = []

    def Export(  # noqa: N802 - the name the protocol gives it
        self, request: ExportMetricsServiceRequest, context: grpc.ServicerContext
    ) -> ExportMetricsServiceResponse:
        self.requests.append(request)
        return ExportMetricsServiceResponse()


@pytest.fixture
def collector() -> Iterator[tuple[Collector, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    collector = Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield collector, port
    server.stop(grace=None)


@pytest.fixture
def metrics_collector() -> Iterator[tuple[MetricsCollector, int]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    collector = MetricsCollector()
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(collector, server)
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

    assert_exported_pipeline(exported_spans(receiver.requests))


def test_otel_metrics_exporter_otlp_pushes_the_metrics(
    metrics_collector: tuple[MetricsCollector, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver, port = metrics_collector
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")

    push_a_duration(monkeypatch)

    (request,) = receiver.requests
    assert_pushed_duration(request)

"""The OTLP gRPC exporter: configured by the standard variables, and delivering the
pipeline's spans to a real OTLP trace service, with OTEL_METRICS_EXPORTER=otlp the
metrics to its metrics service, and with OTEL_LOGS_EXPORTER=otlp the log records to
its logs service."""

import logging
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
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
    metrics_protocol,
)
from tests.exported import assert_exported_pipeline
from tests.fresh_service import run_service
from tests.http_receiver import http_receiver
from tests.otlp_logs import (
    UPSTREAM,
    assert_order_joined_to_its_logs,
    exported_log_records,
)
from tests.otlp_request import exported_spans
from tests.pushed_metrics import (
    assert_exemplars_of_the_upstream_trace,
    assert_pushed_duration,
    push_a_duration,
    push_an_upstream_order,
)


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


class LogsCollector(logs_service_pb2_grpc.LogsServiceServicer):
    """The OTLP logs service."""

    def __init__(self) -> None:
        self.requests: list[ExportLogsServiceRequest] = []

    def Export(  # noqa: N802 - the name the protocol gives it
        self, request: ExportLogsServiceRequest, context: grpc.ServicerContext
    ) -> ExportLogsServiceResponse:
        self.requests.append(request)
        return ExportLogsServiceResponse()


@dataclass
class Collectors:
    """An OTLP endpoint with its trace, metrics and logs services, as a collector
    has."""

    traces: Collector
    metrics: MetricsCollector
    logs: LogsCollector
    port: int


@pytest.fixture
def collector() -> Iterator[Collectors]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    collectors = Collectors(Collector(), MetricsCollector(), LogsCollector(), 0)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collectors.traces, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(
        collectors.metrics, server
    )
    logs_service_pb2_grpc.add_LogsServiceServicer_to_server(collectors.logs, server)
    collectors.port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield collectors
    server.stop(grace=None)


async def test_the_pipeline_s_spans_reach_an_otlp_grpc_collector(
    collector: Collectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{collector.port}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    await run_service()

    assert_exported_pipeline(exported_spans(collector.traces.requests))


def test_otel_metrics_exporter_otlp_pushes_the_metrics(
    collector: Collectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{collector.port}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    push_a_duration(monkeypatch)

    (request,) = collector.metrics.requests
    assert_pushed_duration(request)


async def test_otel_logs_exporter_otlp_sends_an_order_s_log_lines_with_its_spans(
    collector: Collectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{collector.port}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "otlp")

    await run_service(upstream=UPSTREAM)

    assert_order_joined_to_its_logs(
        exported_spans(collector.traces.requests),
        exported_log_records(collector.logs.requests),
    )


async def test_pushed_processing_times_point_at_the_order_s_trace(
    collector: Collectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{collector.port}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

    await push_an_upstream_order(monkeypatch)

    assert_exemplars_of_the_upstream_trace(collector.metrics.requests)


def test_metrics_protocol_http_pushes_to_an_otlp_http_receiver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As Prometheus' OTLP receiver takes them (it has no gRPC)."""
    reply = ExportMetricsServiceResponse().SerializeToString()
    with http_receiver(200, reply, "application/x-protobuf") as receiver:
        endpoint = f"http://127.0.0.1:{receiver.port}/api/v1/otlp/v1/metrics"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf")
        push_a_duration(monkeypatch)

    (request,) = receiver.requests
    assert request.path == "/api/v1/otlp/v1/metrics"
    assert_pushed_duration(ExportMetricsServiceRequest.FromString(request.body))


def test_a_metrics_protocol_it_cannot_speak_is_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")

    with pytest.raises(SystemExit), caplog.at_level(logging.CRITICAL):
        metrics_protocol()

    assert "OTEL_EXPORTER_OTLP_PROTOCOL='http/json': this service pushes metrics" in (
        caplog.text
    )

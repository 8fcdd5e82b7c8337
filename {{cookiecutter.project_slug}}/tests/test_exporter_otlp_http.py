"""The OTLP HTTP exporter: configured by the standard variables, and delivering the
pipeline's spans as protobuf POSTs to `/v1/traces`, and with OTEL_METRICS_EXPORTER=otlp
the metrics to `/v1/metrics`."""

from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from {{ cookiecutter.package_name }}.exporters.otlp_http import (
    build_span_exporter,
)
from tests.exported import assert_exported_pipeline
from tests.fresh_service import run_service
from tests.http_receiver import HttpReceiver, Received, http_receiver
from tests.otlp_request import exported_spans
from tests.pushed_metrics import (
    assert_exemplars_of_the_upstream_trace,
    assert_pushed_duration,
    push_a_duration,
    push_an_upstream_order,
)


def test_the_exporter_is_otlp_over_http() -> None:
    """Its endpoint and options come from the standard OTEL_EXPORTER_OTLP_* variables,
    which the SDK reads; the test below sends through it to a real receiver."""
    assert isinstance(build_span_exporter(), OTLPSpanExporter)


def requests_to_traces(received: list[Received]) -> list[ExportTraceServiceRequest]:
    for request in received:
        assert request.path == "/v1/traces"
        assert request.content_type == "application/x-protobuf"
    return [ExportTraceServiceRequest.FromString(r.body) for r in received]


async def test_the_pipeline_s_spans_reach_an_otlp_http_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reply = ExportTraceServiceResponse().SerializeToString()
    with http_receiver(200, reply, "application/x-protobuf") as receiver:
        endpoint = f"http://127.0.0.1:{receiver.port}"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        await run_service()

    assert_exported_pipeline(exported_spans(requests_to_traces(receiver.requests)))


@pytest.fixture
def metrics_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpReceiver]:
    """An OTLP HTTP endpoint taking metrics, where the exporters are pointed."""
    reply = ExportMetricsServiceResponse().SerializeToString()
    with http_receiver(200, reply, "application/x-protobuf") as receiver:
        endpoint = f"http://127.0.0.1:{receiver.port}"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        yield receiver


def test_otel_metrics_exporter_otlp_pushes_the_metrics(
    metrics_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_a_duration(monkeypatch)

    (request,) = metrics_receiver.requests
    assert request.path == "/v1/metrics"
    assert_pushed_duration(ExportMetricsServiceRequest.FromString(request.body))


async def test_pushed_processing_times_point_at_the_order_s_trace(
    metrics_receiver: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await push_an_upstream_order(monkeypatch)

    assert_exemplars_of_the_upstream_trace(
        [
            ExportMetricsServiceRequest.FromString(request.body)
            for request in metrics_receiver.requests
            if request.path == "/v1/metrics"
        ]
    )

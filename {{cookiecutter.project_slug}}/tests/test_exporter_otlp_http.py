"""The OTLP HTTP exporter: configured by the standard variables, and delivering the
pipeline's spans as protobuf POSTs to `/v1/traces`, with OTEL_METRICS_EXPORTER=otlp
the metrics to `/v1/metrics`, and with OTEL_LOGS_EXPORTER=otlp the log records to
`/v1/logs`."""

from collections.abc import Iterator

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
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


def test_the_exporter_is_otlp_over_http() -> None:
    """Its endpoint and options come from the standard OTEL_EXPORTER_OTLP_* variables,
    which the SDK reads; the test below sends through it to a real receiver."""
    assert isinstance(build_span_exporter(), OTLPSpanExporter)


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpReceiver]:
    """An OTLP HTTP endpoint, which the exporters are pointed at. Every OTLP
    response is an empty message: one reply serves every signal's path."""
    reply = ExportTraceServiceResponse().SerializeToString()
    with http_receiver(200, reply, "application/x-protobuf") as receiver:
        endpoint = f"http://127.0.0.1:{receiver.port}"
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        yield receiver


def posted_to(received: list[Received], path: str) -> list[bytes]:
    """The bodies posted to `path`, every request being protobuf."""
    for request in received:
        assert request.content_type == "application/x-protobuf"
    return [request.body for request in received if request.path == path]


async def test_the_pipeline_s_spans_reach_an_otlp_http_collector(
    collector: HttpReceiver,
) -> None:
    await run_service()

    traces = posted_to(collector.requests, "/v1/traces")
    assert len(traces) == len(collector.requests), "another path was used"
    assert_exported_pipeline(
        exported_spans(map(ExportTraceServiceRequest.FromString, traces))
    )


def test_otel_metrics_exporter_otlp_pushes_the_metrics(
    collector: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_a_duration(monkeypatch)

    (request,) = collector.requests
    assert request.path == "/v1/metrics"
    assert_pushed_duration(ExportMetricsServiceRequest.FromString(request.body))


async def test_otel_logs_exporter_otlp_sends_an_order_s_log_lines_with_its_spans(
    collector: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_LOGS_EXPORTER", "otlp")

    await run_service(upstream=UPSTREAM)

    traces = posted_to(collector.requests, "/v1/traces")
    logs = posted_to(collector.requests, "/v1/logs")
    assert len(traces) + len(logs) == len(collector.requests), "another path was used"
    assert_order_joined_to_its_logs(
        exported_spans(map(ExportTraceServiceRequest.FromString, traces)),
        exported_log_records(map(ExportLogsServiceRequest.FromString, logs)),
    )


async def test_pushed_processing_times_point_at_the_order_s_trace(
    collector: HttpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await push_an_upstream_order(monkeypatch)

    assert_exemplars_of_the_upstream_trace(
        [
            ExportMetricsServiceRequest.FromString(body)
            for body in posted_to(collector.requests, "/v1/metrics")
        ]
    )

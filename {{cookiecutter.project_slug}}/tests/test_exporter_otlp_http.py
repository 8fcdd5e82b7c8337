"""The OTLP HTTP exporter: configured by the standard variables, and delivering the
pipeline's spans as protobuf POSTs to `/v1/traces`."""

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from {{ cookiecutter.package_name }}.exporters.otlp_http import (
    build_span_exporter,
)
from tests.exported import assert_exported_pipeline
from tests.fresh_service import run_service
from tests.http_receiver import Received, http_receiver
from tests.otlp_request import exported_spans


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

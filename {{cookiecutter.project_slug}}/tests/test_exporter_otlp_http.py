"""The OTLP HTTP exporter: configured by the standard variables, and delivering the
pipeline's spans as protobuf POSTs to `/v1/traces`."""

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from {{ cookiecutter.package_name }}.exporters.otlp_http import build_span_exporter
from tests.exported import ExportedSpan, assert_exported_pipeline, environment
from tests.http_receiver import Received, http_receiver
from tests.pipeline_run_client import run_pipeline


def test_default_endpoint_is_the_local_collector() -> None:
    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://localhost:4318/v1/traces"


def test_generic_endpoint_gets_the_traces_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")

    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://collector:4318/v1/traces"


def test_traces_endpoint_is_used_verbatim(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://tempo:4318/v1/traces"
    )

    exporter = build_span_exporter()

    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "https://tempo:4318/v1/traces"


def exported_spans(requests: list[Received]) -> list[ExportedSpan]:
    spans = []
    for received in requests:
        assert received.path == "/v1/traces"
        assert received.content_type == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(received.body)
        for resource_spans in request.resource_spans:
            (name,) = [
                attribute.value.string_value
                for attribute in resource_spans.resource.attributes
                if attribute.key == "service.name"
            ]
            spans += [
                ExportedSpan(
                    name=span.name,
                    trace_id=int.from_bytes(span.trace_id, "big"),
                    span_id=int.from_bytes(span.span_id, "big"),
                    parent_id=int.from_bytes(span.parent_span_id, "big") or None,
                    service_name=name,
                )
                for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans
            ]
    return spans


def test_the_pipeline_s_spans_reach_an_otlp_http_collector() -> None:
    reply = ExportTraceServiceResponse().SerializeToString()
    with http_receiver(200, reply, "application/x-protobuf") as receiver:
        run_pipeline(
            environment=environment(
                OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.port}"
            )
        )

    assert_exported_pipeline(exported_spans(receiver.requests))

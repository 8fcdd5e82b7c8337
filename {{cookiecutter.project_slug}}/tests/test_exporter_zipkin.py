"""The Zipkin exporter: configured by the standard variable, and delivering the
pipeline's spans as JSON v2 POSTs to `/api/v2/spans`."""

import json

import pytest
from opentelemetry.exporter.zipkin.json import ZipkinExporter

from {{ cookiecutter.package_name }}.exporters.zipkin import (
    build_span_exporter,
)
from tests.exported import ExportedSpan, assert_exported_pipeline
from tests.fresh_service import run_service
from tests.http_receiver import Received, http_receiver


def test_default_endpoint_is_the_local_zipkin() -> None:
    exporter = build_span_exporter()

    assert isinstance(exporter, ZipkinExporter)
    assert exporter.endpoint == "http://localhost:9411/api/v2/spans"


def test_endpoint_comes_from_the_standard_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT", "http://zipkin:9411/api/v2/spans"
    )

    exporter = build_span_exporter()

    assert isinstance(exporter, ZipkinExporter)
    assert exporter.endpoint == "http://zipkin:9411/api/v2/spans"


def exported_spans(requests: list[Received]) -> list[ExportedSpan]:
    spans = []
    for received in requests:
        assert received.path == "/api/v2/spans"
        assert received.content_type == "application/json"
        spans += [
            ExportedSpan(
                name=span["name"],
                trace_id=int(span["traceId"], 16),
                span_id=int(span["id"], 16),
                parent_id=int(span["parentId"], 16) if "parentId" in span else None,
                service_name=span["localEndpoint"]["serviceName"],
            )
            for span in json.loads(received.body)
        ]
    return spans


async def test_the_pipeline_s_spans_reach_a_zipkin_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with http_receiver(202, b"", "text/plain") as receiver:
        endpoint = f"http://127.0.0.1:{receiver.port}/api/v2/spans"
        monkeypatch.setenv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", endpoint)
        await run_service()

    assert_exported_pipeline(exported_spans(receiver.requests))

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from {{ cookiecutter.package_name }}.exporters.otlp_http import build_span_exporter


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

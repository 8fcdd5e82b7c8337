import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

from {{ cookiecutter.package_name }}.exporters.otlp_grpc import build_span_exporter


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

import pytest
from opentelemetry.exporter.zipkin.json import ZipkinExporter

from {{ cookiecutter.package_name }}.exporters.zipkin import build_span_exporter


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

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from {{ cookiecutter.package_name }}.exporters.console import build_span_exporter
from {{ cookiecutter.package_name }}.telemetry import build_resource


def test_spans_are_printed_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    exporter = build_span_exporter()
    provider = TracerProvider(resource=build_resource())
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    with provider.get_tracer(__name__).start_as_current_span("orders process"):
        pass
    provider.shutdown()

    printed = json.loads(capsys.readouterr().out)
    assert isinstance(exporter, ConsoleSpanExporter)
    assert printed["name"] == "orders process"
    assert printed["resource"]["attributes"]["service.name"] == (
        "{{ cookiecutter.project_slug }}"
    )

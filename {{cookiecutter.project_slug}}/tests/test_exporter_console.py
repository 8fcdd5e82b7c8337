{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
import json

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from {{ cookiecutter.package_name }}.exporters.console import (
    build_span_exporter,
)
from {{ cookiecutter.package_name }}.telemetry import build_resource
from tests.exported import (
    SERVICE_NAME,
    ExportedSpan,
    assert_exported_pipeline,
)
from tests.fresh_service import run_service


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
    assert printed["resource"]["attributes"]["service.name"] == SERVICE_NAME
{%- if broker.bytes_span_attributes %}


def test_bytes_attributes_are_printed_as_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider = TracerProvider(resource=build_resource())
    provider.add_span_processor(SimpleSpanProcessor(build_span_exporter()))

    # FastStream records message keys as bytes.
    with provider.get_tracer(__name__).start_as_current_span("orders process") as span:
        span.set_attribute("messaging.kafka.message.key", b"order-7")
    provider.shutdown()

    printed = json.loads(capsys.readouterr().out)
    assert printed["attributes"]["messaging.kafka.message.key"] == "order-7"
{%- endif %}


def printed_spans(stdout: str) -> list[ExportedSpan]:
    """The span objects the console exporter printed (other output is skipped)."""
    decoder = json.JSONDecoder()
    spans, position = [], 0
    while (start := stdout.find("{", position)) != -1:
        document, position = decoder.raw_decode(stdout, start)
        if "context" not in document:
            continue
        parent = document["parent_id"]
        spans.append(
            ExportedSpan(
                name=document["name"],
                trace_id=int(document["context"]["trace_id"], 16),
                span_id=int(document["context"]["span_id"], 16),
                parent_id=int(parent, 16) if parent else None,
                service_name=document["resource"]["attributes"]["service.name"],
            )
        )
    return spans


async def test_the_pipeline_s_spans_are_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_service()

    assert_exported_pipeline(printed_spans(capsys.readouterr().out))

"""The tracer provider reads the standard OTEL_* variables, and a normal shutdown
exports every span still queued."""

import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.resources import (
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_VERSION,
)
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }} import telemetry


def test_service_name_defaults_to_the_project_slug() -> None:
    attributes = telemetry.build_resource().attributes

    assert attributes[SERVICE_NAME] == "{{ cookiecutter.project_slug }}"
    assert attributes[SERVICE_VERSION] == "0.1.0"


def test_each_process_is_an_instance_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replicas pushing the same metrics stay apart; the environment can name one."""
    first = telemetry.build_resource().attributes[SERVICE_INSTANCE_ID]
    assert telemetry.build_resource().attributes[SERVICE_INSTANCE_ID] != first
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.instance.id=replica-7")

    assert telemetry.build_resource().attributes[SERVICE_INSTANCE_ID] == "replica-7"


def test_otel_service_name_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,team=payments")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "billing")

    attributes = telemetry.build_resource().attributes

    assert attributes[SERVICE_NAME] == "billing"
    assert attributes["team"] == "payments"


def test_resource_attributes_can_name_the_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=ledger")

    assert telemetry.build_resource().attributes[SERVICE_NAME] == "ledger"


def test_sampler_defaults_to_parent_based_always_on() -> None:
    sampler = telemetry.create_tracer_provider().sampler

    assert sampler.get_description().startswith("ParentBased{root:AlwaysOnSampler")


def test_sampler_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0.25")

    sampler = telemetry.create_tracer_provider().sampler

    description = sampler.get_description()
    assert description.startswith("ParentBased{root:TraceIdRatioBased{0.25}")


def test_shutdown_exports_the_spans_still_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(telemetry, "build_span_exporter", lambda: exporter)
    # Far longer than the test: only the shutdown can deliver the spans.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")
    provider = telemetry.create_tracer_provider()
    telemetry.start_exporting(provider)

    for number in range(3):
        with provider.get_tracer(__name__).start_as_current_span(f"work {number}"):
            pass
    assert exporter.get_finished_spans() == ()
    provider.shutdown()

    exported = exporter.get_finished_spans()
    assert [span.name for span in exported] == ["work 0", "work 1", "work 2"]
    resource = exported[0].resource.attributes
    assert resource[SERVICE_NAME] == "{{ cookiecutter.project_slug }}"


class HeldExporter(InMemorySpanExporter):
    """Holds its first batch until released, as a slow backend would."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.release.wait(timeout=30)
        return super().export(spans)


def test_the_span_queue_holds_more_than_the_sdk_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """3000 spans made while export is held: the SDK's 2048-span queue would drop
    some, the template's 8192 keeps them all."""
    exporter = HeldExporter()
    monkeypatch.setattr(telemetry, "build_span_exporter", lambda: exporter)
    provider = telemetry.create_tracer_provider()
    telemetry.start_exporting(provider)

    for number in range(3000):
        provider.get_tracer(__name__).start_span(f"work {number}").end()
    exporter.release.set()
    provider.shutdown()

    assert len(exporter.get_finished_spans()) == 3000


def test_otel_bsp_max_queue_size_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    assert telemetry.span_queue_size() == telemetry.SPAN_QUEUE_SIZE
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100")

    assert telemetry.span_queue_size() is None  # the SDK reads the variable


def test_sdk_disabled_builds_no_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[SpanExporter] = []

    def build() -> SpanExporter:
        built.append(InMemorySpanExporter())
        return built[-1]

    monkeypatch.setattr(telemetry, "build_span_exporter", build)
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = telemetry.create_tracer_provider()

    telemetry.start_exporting(provider)
    with provider.get_tracer(__name__).start_as_current_span("ignored") as span:
        recording = span.is_recording()

    assert built == []
    assert not recording

{%- set exporter = cookiecutter._exporters[cookiecutter.exporter] -%}
"""Span export failures are reported once, never raised, and never stop the service."""

import logging
{%- if exporter.endpoint_variable %}
import socket
{%- endif %}
import threading
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from {{ cookiecutter.package_name }}.export_health import (
    ReportingBatchProcessor,
    ReportingSpanExporter,
)
{%- if exporter.endpoint_variable %}
from tests.fresh_service import run_service
{%- endif %}

REPORTER = "{{ cookiecutter.package_name }}.export_health"
FAILING = "is failing"
RECOVERED = "has recovered"


class FlakyExporter(SpanExporter):
    """Fails, raises or succeeds as told, and logs like a real exporter does."""

    def __init__(self) -> None:
        self.outcome: SpanExportResult | Exception = SpanExportResult.SUCCESS
        self.calls = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.calls += 1
        if isinstance(self.outcome, Exception):
            raise self.outcome
        if self.outcome is SpanExportResult.FAILURE:
            logging.getLogger(type(self).__module__).error("collector said UNAVAILABLE")
        return self.outcome


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> FlakyExporter:
    # Pose as an OpenTelemetry exporter module, whose own errors are held back.
    monkeypatch.setattr(FlakyExporter, "__module__", "opentelemetry.exporter.flaky")
    return FlakyExporter()


def reports(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == REPORTER]


def test_an_outage_is_reported_once_and_its_end_once(
    flaky: FlakyExporter, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = ReportingSpanExporter(flaky, retry_interval_s=0)

    results = [exporter.export([]) for _ in range(2)]
    flaky.outcome = SpanExportResult.FAILURE
    with caplog.at_level(logging.INFO):
        results += [exporter.export([]) for _ in range(50)]
        flaky.outcome = SpanExportResult.SUCCESS
        results += [exporter.export([]) for _ in range(5)]

    assert results.count(SpanExportResult.FAILURE) == 50
    said = reports(caplog)
    assert len(said) == 2
    assert FAILING in said[0]
    assert "collector said UNAVAILABLE" in said[0]
    assert RECOVERED in said[1]


def test_an_exporter_that_raises_is_a_failure_not_a_crash(
    flaky: FlakyExporter, caplog: pytest.LogCaptureFixture
) -> None:
    flaky.outcome = ConnectionRefusedError("connection refused")
    exporter = ReportingSpanExporter(flaky, retry_interval_s=0)

    with caplog.at_level(logging.INFO):
        results = {exporter.export([]) for _ in range(10)}

    assert results == {SpanExportResult.FAILURE}
    (said,) = reports(caplog)
    assert "ConnectionRefusedError: connection refused" in said


def test_while_failing_batches_are_dropped_without_waiting_on_the_backend(
    flaky: FlakyExporter,
) -> None:
    flaky.outcome = SpanExportResult.FAILURE
    exporter = ReportingSpanExporter(flaky, retry_interval_s=3600)

    results = {exporter.export([]) for _ in range(20)}

    assert results == {SpanExportResult.FAILURE}
    assert flaky.calls == 1, "only the first batch may wait on a failing backend"


def test_the_spans_of_failed_batches_are_counted_and_the_count_reported(
    flaky: FlakyExporter, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = ReportingSpanExporter(flaky, retry_interval_s=0)
    batch = [ReadableSpan(name="lost")] * 10

    flaky.outcome = SpanExportResult.FAILURE
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            exporter.export(batch)
        flaky.outcome = SpanExportResult.SUCCESS
        exporter.export(batch)
        exporter.shutdown()

    assert (exporter.failed, exporter.delivered) == (30, 10)
    said = reports(caplog)
    assert len(said) == 2
    assert "recovered; 30 spans of failed batches lost so far" in said[1]


class BlockedExporter(SpanExporter):
    """Holds its first batch until released, as an unresponsive backend would."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.received = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.released.wait(timeout=30)
        self.received += len(spans)
        return SpanExportResult.SUCCESS


def test_every_span_dropped_from_a_full_queue_is_counted_at_stop(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted from what went in and what came out, not from the SDK's log lines
    (which differ between SDK versions), so the count is exact."""
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10")
    backend = BlockedExporter()
    processor = ReportingBatchProcessor(backend, max_queue_size=20)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer(__name__)

    with caplog.at_level(logging.INFO):
        for number in range(500):
            tracer.start_span(f"span {number}").end()
        backend.released.set()
        provider.shutdown()

    assert processor.ended == 500
    assert backend.received + processor.lost == 500
    assert processor.lost >= 470
    (said,) = reports(caplog)
    assert f"lost {processor.lost} of 500 spans in all" in said


def test_unsampled_spans_are_not_counted_as_lost() -> None:
    backend = BlockedExporter()
    backend.released.set()
    processor = ReportingBatchProcessor(backend)
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(processor)

    for number in range(10):
        provider.get_tracer(__name__).start_span(f"span {number}").end()
    provider.shutdown()

    assert (processor.ended, processor.lost, backend.received) == (0, 0, 0)
{%- if exporter.endpoint_variable %}


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_service_goes_on_when_the_collector_is_down(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = 20
    port = str(closed_port())
    endpoint = f"{{ exporter.endpoint_variable[1] }}"
    monkeypatch.setenv("{{ exporter.endpoint_variable[0] }}", endpoint)
    # Batches of 5 spans, so export fails many times during the run; a timeout too
    # short for the exporter's own retries (the connection is refused at once anyway).
    monkeypatch.setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5")
    monkeypatch.setenv("{{ exporter.timeout_variable[0] }}", "{{ exporter.timeout_variable[1] }}")

    await run_service(orders)

    logged = capsys.readouterr().err
    assert logged.count("ready for customer") == orders, "an order was not handled"
    assert logged.count(FAILING) == 1, logged[-3000:]
    assert "Traceback" not in logged
{%- endif %}

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Exemplars: each processing time is recorded inside its message's span
(durations.py), so a sampled message's measurement keeps its trace and span ids, the
link Grafana follows from a slow bucket to the trace; an unsampled one keeps none.
And each message is still counted once."""

from collections.abc import Iterator

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry import trace
from opentelemetry.sdk.metrics import (
    Exemplar,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }} import app, metrics
from {{ cookiecutter.package_name }}.durations import MessagingDurations
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.messages import ORDER
from tests.upstream import UPSTREAM_TRACE, upstream_span


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryMetricReader]:
    """The app's duration middleware, recording into a provider read in memory, with
    the app's views and the exemplars of sampled traces (what OTLP pushing uses)."""
    assert app.durations is not None
    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader],
        views=metrics.duration_views(),
        exemplar_filter=TraceBasedExemplarFilter(),
    )
    recording = MessagingDurations(provider)
    monkeypatch.setattr(app.durations, "process", recording.process)
    monkeypatch.setattr(app.durations, "publish", recording.publish)
    yield reader
    provider.shutdown()


def process_points(reader: InMemoryMetricReader) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "messaging.process.duration"
        for point in metric.data.data_points
        if isinstance(point, HistogramDataPoint)
    ]


def exemplars(points: list[HistogramDataPoint]) -> list[Exemplar]:
    return [exemplar for point in points for exemplar in point.exemplars]


async def test_a_sampled_message_s_processing_time_holds_its_process_span(
    test_broker: {{ broker.broker_class }},
    spans: InMemorySpanExporter,
    reader: InMemoryMetricReader,
) -> None:
    with trace.use_span(upstream_span(sampled=True)):
        await test_broker.publish(ORDER, **address(settings.orders_topic))

    process_spans = {
        span.context.span_id
        for span in spans.get_finished_spans()
        if span.name.endswith(" process")
    }
    assert len(process_spans) == 2  # the order's and its invoice's
    points = process_points(reader)
    assert sum(point.count for point in points) == 2  # each message once
    kept = exemplars(points)
    assert {exemplar.trace_id for exemplar in kept} == {UPSTREAM_TRACE}
    assert {exemplar.span_id for exemplar in kept} == process_spans


async def test_an_unsampled_message_leaves_no_exemplar(
    test_broker: {{ broker.broker_class }},
    spans: InMemorySpanExporter,
    reader: InMemoryMetricReader,
) -> None:
    with trace.use_span(upstream_span(sampled=False)):
        await test_broker.publish(ORDER, **address(settings.orders_topic))

    assert spans.get_finished_spans() == ()
    points = process_points(reader)
    assert sum(point.count for point in points) == 2  # still measured
    assert exemplars(points) == []

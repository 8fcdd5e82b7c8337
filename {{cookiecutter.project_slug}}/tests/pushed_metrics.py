"""What the OTLP metrics tests push, and what must arrive: one value of FastStream's
processing-time histogram, with the service's buckets; and from the service run with
an order of an upstream trace, processing times whose exemplars point at that trace."""

import pytest
from opentelemetry import trace
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk.resources import Resource

from {{ cookiecutter.package_name }}.durations import MessagingDurations
from {{ cookiecutter.package_name }}.metrics import (
    DURATION_BUCKETS,
    create_meter_provider,
)
from tests.fresh_service import run_service
from tests.upstream import UPSTREAM_TRACE, upstream_span


def push_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record one processing time, as FastStream's middleware does, through a
    provider built with OTEL_METRICS_EXPORTER=otlp; stopping it pushes what it has."""
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    provider = create_meter_provider(Resource.create({"service.name": "pushed"}))
    histogram = MessagingDurations(provider).process
    histogram.record(0.02, {"messaging.destination_publish.name": "orders"})
    provider.shutdown()


def assert_pushed_duration(request: ExportMetricsServiceRequest) -> None:
    (metric,) = [
        metric
        for resource in request.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    ]
    assert metric.name == "messaging.process.duration"
    (point,) = metric.histogram.data_points
    assert point.count == 1
    assert list(point.explicit_bounds) == list(DURATION_BUCKETS)


async def push_an_upstream_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service, pushing its metrics, handles an order sent in a sampled upstream
    trace (its `traceparent`); stopping it pushes what it has."""
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    with trace.use_span(upstream_span(sampled=True)):
        await run_service()


def assert_exemplars_of_the_upstream_trace(
    requests: list[ExportMetricsServiceRequest],
) -> None:
    """Every processing time pushed keeps an exemplar, in the order's trace."""
    points = [
        point
        for request in requests
        for resource in request.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "messaging.process.duration"
        for point in metric.histogram.data_points
    ]
    assert sum(point.count for point in points) == 2  # the order and its invoice
    exemplars = [exemplar for point in points for exemplar in point.exemplars]
    assert len(exemplars) == 2
    trace_ids = {int.from_bytes(exemplar.trace_id, "big") for exemplar in exemplars}
    assert trace_ids == {UPSTREAM_TRACE}

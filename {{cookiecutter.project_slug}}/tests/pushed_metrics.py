"""What the OTLP metrics tests push, and what must arrive: one value of FastStream's
processing-time histogram, with the service's buckets."""

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk.resources import Resource

from {{ cookiecutter.package_name }}.metrics import (
    DURATION_BUCKETS,
    create_meter_provider,
)


def push_a_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record one processing time, as FastStream's middleware does, through a
    provider built with OTEL_METRICS_EXPORTER=otlp; stopping it pushes what it has."""
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    provider = create_meter_provider(Resource.create({"service.name": "pushed"}))
    histogram = provider.get_meter("faststream").create_histogram(
        "messaging.process.duration", unit="s"
    )
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

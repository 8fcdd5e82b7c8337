"""The app's lifecycle: a fresh copy of the service (`tests/fresh_service.py`), since
stopping it shuts its tracer provider down, which must not happen to the provider the
other tests share."""

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.app import app, broker
from tests.fresh_service import fresh_import, running, send_orders


def test_app_serves_the_broker() -> None:
    assert app.broker is broker


async def test_stopping_the_app_exports_every_span(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches go out every 10 minutes here: what arrives was flushed by the app's
    # shutdown hook.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "600000")
    exporter = InMemorySpanExporter()

    with fresh_import("telemetry", "app") as (telemetry, service):
        monkeypatch.setattr(telemetry, "build_span_exporter", lambda: exporter)
        async with running(service) as test_broker:
            await send_orders(test_broker, 1)
            queued = exporter.get_finished_spans()

    assert queued == ()
    assert len(exporter.get_finished_spans()) == 5

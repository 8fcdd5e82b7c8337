{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set exporter = cookiecutter._exporters[cookiecutter.exporter] -%}
"""The HTTP endpoints, asked through the app's ASGI interface with the broker held in
memory. Readiness against a broker that stops and comes back, and the endpoints
served by `faststream run` on HTTP_PORT, are tested on real servers by the
template's own suite."""

import logging

import pytest
from faststream.asgi import AsgiFastStream
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
{%- if exporter.pushes_metrics %}
    TraceBasedExemplarFilter,
{%- endif %}
)

from {{ cookiecutter.package_name }} import metrics
from {{ cookiecutter.package_name }}.app import app, check_http_port
from {{ cookiecutter.package_name }}.probes import readiness
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.asgi_client import asgi_get
from tests.messages import ORDER


async def test_live_and_ready_while_the_broker_runs(
    test_broker: {{ broker.broker_class }},
) -> None:
    assert await asgi_get(app, "/health/live") == (204, b"")
    assert await asgi_get(app, "/health/ready") == (204, b"")


async def test_live_fails_once_a_subscriber_has_stopped(
    test_broker: {{ broker.broker_class }},
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # FastStream's in-memory broker never marks itself running (its start is a
    # stand-in); a real one does once every subscriber has started.
    monkeypatch.setattr(test_broker, "running", True)
    # What FastStream's `stop()` does first to a subscriber it gives up on (the rest
    # of it would leave the in-memory broker without the subscriber for later tests).
    stopped = test_broker.subscribers[0]
    monkeypatch.setattr(stopped, "running", False)

    status, reason = await asgi_get(app, "/health/live")
    await asgi_get(app, "/health/live")

    assert status == 503
    assert stopped.specification.call_name in reason.decode()
    # Said once, when the answer changed, not on every probe.
    assert [r.getMessage() for r in caplog.records].count(reason.decode()) == 1


async def test_not_ready_while_the_broker_does_not_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    never_connected = {{ broker.broker_class }}()
    probes = AsgiFastStream(
        never_connected,
        asgi_routes=[("/health/ready", readiness(never_connected, timeout=0.1))],
    )

    status, reason = await asgi_get(probes, "/health/ready")

    assert status == 503
    assert "no answer from the broker" in reason.decode()
    assert "no answer from the broker" in caplog.text


async def test_metrics_count_each_message_by_destination(
    test_broker: {{ broker.broker_class }},
) -> None:
    await test_broker.publish(ORDER, **address(settings.orders_topic))

    status, body = await asgi_get(app, "/metrics")

    assert status == 200
    processed = [
        line
        for line in body.decode().splitlines()
        if line.startswith("messaging_process_duration_seconds_count")
        and f'{settings.orders_topic}"' in line
    ]
    assert len(processed) == 1
    assert float(processed[0].rsplit(" ", 1)[1]) >= 1


def test_an_unknown_metrics_exporter_is_refused_with_the_valid_ones(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "prometheus,statsd")

    with pytest.raises(SystemExit), caplog.at_level(logging.CRITICAL):
        metrics.requested_exporters()

    assert "OTEL_METRICS_EXPORTER='prometheus,statsd': statsd unknown here" in (
        caplog.text
    )


def test_exemplars_only_where_they_can_go(monkeypatch: pytest.MonkeyPatch) -> None:
    """/metrics cannot show exemplars: none unless the metrics are pushed or
    OTEL_METRICS_EXEMPLAR_FILTER asks."""
    monkeypatch.delenv("OTEL_METRICS_EXEMPLAR_FILTER", raising=False)
    assert isinstance(metrics.exemplar_filter(), AlwaysOffExemplarFilter)
{%- if exporter.pushes_metrics %}

    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "otlp")
    assert isinstance(metrics.exemplar_filter(), TraceBasedExemplarFilter)
{%- endif %}

    monkeypatch.setenv("OTEL_METRICS_EXEMPLAR_FILTER", "always_off")
    assert metrics.exemplar_filter() is None  # the SDK reads the variable


def test_the_http_port_must_be_the_one_http_port_says() -> None:
    check_http_port(port=settings.http_port)

    with pytest.raises(ValueError, match=r"HTTP_PORT is 8000 but .* served on 9100"):
        check_http_port(port=9100)

"""What a trace that is not sampled costs: no span, and its decision travels on."""

from types import SimpleNamespace

import pytest
from faststream import ContextRepo
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from {{ cookiecutter.package_name }} import telemetry

UPSTREAM_TRACE = 0x0AF7651916CD43DD8448EB211C80319C
UPSTREAM_SPAN = 0x00F067AA0BA902B7


async def test_a_publish_inside_an_unsampled_message_passes_its_context_on(
    spans: InMemorySpanExporter,
) -> None:
    """What a handler publishes while handling an unsampled message (on a real broker,
    where no other context is current) continues the same, unsampled trace and
    records nothing; FastStream alone starts a new trace there, which the root
    sampler may keep."""
    from {{ cookiecutter.package_name }}.app import tracer_provider

    upstream = NonRecordingSpan(
        SpanContext(UPSTREAM_TRACE, UPSTREAM_SPAN, True, TraceFlags(0))
    )
    scope = telemetry.ServiceTelemetryMiddleware(tracer_provider=tracer_provider)(
        None, context=ContextRepo()
    )
    # The state in which FastStream's consume scope leaves an unsampled message.
    scope._current_span = upstream
    scope._origin_context = trace.set_span_in_context(upstream)
    command = SimpleNamespace(headers={}, batch_bodies=())
    sent: list[dict[str, str]] = []

    async def send(published: SimpleNamespace) -> None:
        sent.append(dict(published.headers))

    await scope.publish_scope(send, command)

    assert sent == [
        {"traceparent": f"00-{UPSTREAM_TRACE:032x}-{UPSTREAM_SPAN:016x}-00"}
    ]
    assert list(spans.get_finished_spans()) == []


def test_sdk_disabled_puts_no_tracing_middleware_on_the_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    provider = telemetry.create_tracer_provider()

    assert telemetry.telemetry_middleware(provider) is telemetry.Untraced

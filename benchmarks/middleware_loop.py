"""What the tracing middleware alone costs per message, in a loop without a broker.

Run by `benchmarks.run` with a generated project's interpreter, in its directory:
`python <this file> <package> [messages a run]`. Each message is what FastStream's
subscriber does with a middleware: enter it, consume (the handler does nothing),
publish one message as the handler's result, exit. Measured for FastStream's own
`BaseTelemetryMiddleware` and for the project's `MessageTelemetry`, each fed the same
messages, sampled and not sampled (a `traceparent` with the flag off), and for the
untraced case (`Untraced`). Spans go to a batch processor with an exporter that drops
them. Prints one JSON line: the best of five runs' CPU microseconds per message for
each case, the cases taking turns run by run.
"""

import asyncio
import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from faststream import BaseMiddleware, ContextRepo
from faststream.message import StreamMessage
from faststream.opentelemetry import TelemetryMiddleware
from opentelemetry import context, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACE = "0af7651916cd43dd8448eb211c80319c"
HEADERS = {
    "sampled": {"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"},
    "not sampled": {"traceparent": f"00-{TRACE}-00f067aa0ba902b7-00"},
}
PROPAGATOR = TraceContextTextMapPropagator()
CONSUMER, PRODUCER = SpanKind.CONSUMER, SpanKind.PRODUCER
# The generated project's tests/test_message_telemetry.py, once imported: its
# `Provider` (the attributes a broker's FastStream provider gives: five on a message
# consumed, three on one published) and its `invoice_command`, for every case.
SHARED: Any = None
MESSAGES = 20_000  # a run; the second argument changes it
RUNS = 5


class Dropped(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class SdkAlone(BaseMiddleware[Any, Any]):
    """The floor in the same loop: the spans and header work and nothing else (the
    context extracted, `process` with the provider's attributes, `publish` as its
    child, the context injected), straight SDK calls."""

    def __init__(self, msg: Any, /, *, tracer: Tracer, context: ContextRepo) -> None:
        super().__init__(msg, context=context)
        self.tracer = tracer
        self.span: Span | None = None

    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        attributes = SHARED.Provider().get_consume_attrs_from_message(msg)
        attributes["messaging.operation"] = "process"
        parent = PROPAGATOR.extract(msg.headers)
        self.span = self.tracer.start_span(
            "orders process", parent, CONSUMER, attributes
        )
        token = context.attach(trace.set_span_in_context(self.span, parent))
        try:
            return await call_next(msg)
        finally:
            context.detach(token)

    async def publish_scope(self, call_next: Any, cmd: Any) -> Any:
        attributes = SHARED.Provider().get_publish_attrs_from_cmd(cmd)
        attributes["messaging.operation"] = "publish"
        parent = trace.set_span_in_context(self.span) if self.span else None
        with self.tracer.start_as_current_span(
            "invoices publish", parent, PRODUCER, attributes
        ):
            PROPAGATOR.inject(cmd.headers)
            return await call_next(cmd)

    async def after_processed(self, *exc_info: Any) -> bool:
        if self.span is not None:
            self.span.end()
        return False


async def handler(msg: Any) -> None:
    return None


async def send(command: Any) -> None:
    return None


async def one_message(per_message: Callable[..., Any], headers: dict[str, str]) -> None:
    raw = {"id": "1"}
    middleware = per_message(raw, context=ContextRepo())
    async with middleware:
        message = StreamMessage(
            raw,
            b'{"order_id": "order-1", "items": []}',
            headers=dict(headers),
            message_id="1",
            correlation_id="c",
        )
        await middleware.consume_scope(handler, message)
        await middleware.publish_scope(send, SHARED.invoice_command())


async def one_run(
    per_message: Callable[..., Any], headers: dict[str, str], messages: int
) -> float:
    """CPU microseconds per message over `messages` messages."""
    started = time.process_time()
    for _ in range(messages):
        await one_message(per_message, headers)
    return (time.process_time() - started) / messages * 1e6


async def costs(
    cases: dict[str, tuple[Callable[..., Any], dict[str, str]]], messages: int
) -> dict[str, float]:
    """The best of RUNS runs of each case; the cases take turns, run by run, so a
    machine that slows down or speeds up meanwhile does so for all of them."""
    best = dict.fromkeys(cases, float("inf"))
    for per_message, headers in cases.values():  # warm up
        await one_run(per_message, headers, messages // 10)
    for _ in range(RUNS):
        for name, (per_message, headers) in cases.items():
            best[name] = min(best[name], await one_run(per_message, headers, messages))
    return {name: round(value, 1) for name, value in best.items()}


async def main(package: str, messages: int) -> None:
    global SHARED
    sys.path.insert(0, os.getcwd())  # the project's directory, for its `tests`
    SHARED = importlib.import_module("tests.test_message_telemetry")
    message_telemetry = importlib.import_module(f"{package}.message_telemetry")
    telemetry = importlib.import_module(f"{package}.telemetry")
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped()))
    faststream = TelemetryMiddleware(
        settings_provider_factory=lambda _: SHARED.Provider(), tracer_provider=provider
    )

    def ours(msg: Any, *, context: ContextRepo) -> Any:
        return message_telemetry.MessageTelemetry(
            msg,
            tracer=faststream._tracer,
            metrics=faststream._metrics,
            provider_factory=faststream._settings_provider_factory,
            context=context,
        )

    def sdk_alone(msg: Any, *, context: ContextRepo) -> SdkAlone:
        return SdkAlone(msg, tracer=faststream._tracer, context=context)

    cases = {
        "untraced": (telemetry.Untraced, HEADERS["sampled"]),
        "sdk alone": (sdk_alone, HEADERS["sampled"]),
    }
    for name, per_message in (("faststream", faststream), ("template", ours)):
        for sampling, headers in HEADERS.items():
            cases[f"{name}, {sampling}"] = (per_message, headers)
    results = await costs(cases, messages)
    provider.shutdown()
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else MESSAGES))

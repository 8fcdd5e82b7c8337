"""The per-message half of FastStream's telemetry middleware, written for speed.

FastStream's `BaseTelemetryMiddleware` makes the spans this service exports. Measured
(docs/performance.md in the template), its work around the spans added about 40% to
what the SDK itself spends on a sampled message, and cost an unsampled message as
much as a sampled one: two context managers per span, an `ExitStack` and two context
scopes per message, the `baggage` header parsed twice, attribute dicts built for
spans that do not record. `MessageTelemetry` makes the same spans (names, kinds,
parents, links, attributes, status and exception events), the same `traceparent`
and `baggage` headers and the same metrics, in straight-line code.

Two differences, both on purpose:
- A message whose trace is not sampled: what its handler publishes carries the
  incoming context on (same trace id, not-sampled flag) and records no span.
  FastStream starts a new root trace there, which a ratio sampler then keeps at its
  ratio: parentless invoice traces that no upstream decision asked for.
- The handler's `CurrentSpan` and `CurrentBaggage` stay set until the message is
  done (FastStream resets them at the handler's first publish).

Batches (a batch subscriber, or `publish_batch`) take FastStream's own code.
"""

import time
from collections.abc import Awaitable, Callable
from contextvars import Token
from types import TracebackType
from typing import Any

from faststream import BaseMiddleware, ContextRepo
from faststream.message import StreamMessage
from faststream.opentelemetry.baggage import Baggage
from faststream.opentelemetry.consts import (
    ERROR_TYPE,
    MESSAGING_DESTINATION_PUBLISH_NAME,
    WITH_BATCH,
)
from faststream.opentelemetry.middleware import BaseTelemetryMiddleware
from faststream.opentelemetry.provider import TelemetrySettingsProvider
from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.semconv.trace import SpanAttributes
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACE_PROPAGATOR = TraceContextTextMapPropagator()
BAGGAGE_PROPAGATOR = W3CBaggagePropagator()
BAGGAGE_HEADER = "baggage"
SYSTEM = SpanAttributes.MESSAGING_SYSTEM
OPERATION = SpanAttributes.MESSAGING_OPERATION
DESTINATION = SpanAttributes.MESSAGING_DESTINATION_NAME
BATCH_COUNT = SpanAttributes.MESSAGING_BATCH_MESSAGE_COUNT

ProviderFactory = Callable[[Any], TelemetrySettingsProvider[Any, Any] | None]


class MessageTelemetry(BaseMiddleware[Any, Any]):
    """Spans for one message consumed (`<destination> process`, and `create` when it
    arrives without a trace) and for each message published while handling it
    (`<destination> publish`, and `create` outside a handler)."""

    __slots__ = (
        "_factory",
        "_fallback",
        "_locals",
        "_metrics",
        "_origin",
        "_provider",
        "_span",
        "_tracer",
    )

    def __init__(
        self,
        msg: Any,
        /,
        *,
        tracer: Tracer,
        metrics: Any,  # FastStream's private `_MetricsContainer`
        provider_factory: ProviderFactory,
        context: ContextRepo,
    ) -> None:
        super().__init__(msg, context=context)
        self._tracer = tracer
        self._metrics = metrics
        self._factory = provider_factory
        self._provider = provider_factory(msg)
        self._span: Span | None = None
        self._origin: Context | None = None
        self._locals: tuple[Token[Any], Token[Any]] | None = None
        self._fallback: BaseTelemetryMiddleware[Any] | None = None

    async def consume_scope(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> Any:
        provider = self._provider
        if provider is None:
            return await call_next(msg)
        headers = msg.headers
        if msg.batch_headers or (BAGGAGE_HEADER in headers and _says_batch(headers)):
            return await self._faststream().consume_scope(call_next, msg)

        # As FastStream: the extracted context is the current one plus the remote
        # span; an empty one means the message came without a trace.
        parent = TRACE_PROPAGATOR.extract(headers)
        destination = provider.get_consume_destination_name(msg)
        attributes = provider.get_consume_attrs_from_message(msg)
        metric_attributes = {
            SYSTEM: provider.messaging_system,
            MESSAGING_DESTINATION_PUBLISH_NAME: destination,
        }
        if not len(parent):
            create = self._tracer.start_span(
                f"{destination} create", kind=SpanKind.CONSUMER, attributes=attributes
            )
            parent = trace.set_span_in_context(create)
            create.end()
        self._origin = parent

        started = time.perf_counter()
        # Same attributes as FastStream, which sets this one just after the start
        # (a span copies its attributes, so `create` above does not get it).
        attributes[OPERATION] = "process"
        span = self._tracer.start_span(
            f"{destination} process", parent, SpanKind.CONSUMER, attributes
        )
        self._span = span
        self._locals = (
            self.context.set_local("span", span),
            self.context.set_local("baggage", _baggage(headers)),
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            return await call_next(msg)
        except Exception as error:
            metric_attributes[ERROR_TYPE] = type(error).__name__
            _record_failure(span, error)
            raise
        finally:
            context.detach(token)
            self._metrics.observe_consume(
                metric_attributes,
                time.perf_counter() - started,
                attributes.get(BATCH_COUNT, 1),
            )

    async def publish_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: Any
    ) -> Any:
        provider = self._provider
        if provider is None:
            return await call_next(msg)
        if len(msg.batch_bodies) > 1 or self._fallback is not None:
            return await self._faststream().publish_scope(call_next, msg)

        headers = msg.headers
        current_baggage: Baggage | None = self.context.get_local(BAGGAGE_HEADER)
        # `to_headers` writes the message's baggage and the current context's; with
        # neither, it writes nothing.
        if current_baggage and (current_baggage.get_all() or baggage.get_all()):
            headers.update(current_baggage.to_headers())
        destination = provider.get_publish_destination_name(msg)
        metric_attributes = {
            SYSTEM: provider.messaging_system,
            DESTINATION: destination,
        }
        started = time.perf_counter()
        try:
            handling = self._span
            if handling is not None and not handling.is_recording():
                # Not sampled upstream: pass the decision on, record nothing.
                TRACE_PROPAGATOR.inject(headers, context=self._origin)
                return await call_next(msg)
            return await self._publish_traced(call_next, msg, provider, destination)
        except Exception as error:
            metric_attributes[ERROR_TYPE] = type(error).__name__
            raise
        finally:
            self._metrics.observe_publish(
                metric_attributes, time.perf_counter() - started, len(msg.batch_bodies)
            )

    async def _publish_traced(
        self,
        call_next: Callable[[Any], Awaitable[Any]],
        msg: Any,
        provider: TelemetrySettingsProvider[Any, Any],
        destination: str,
    ) -> Any:
        headers = msg.headers
        attributes = provider.get_publish_attrs_from_cmd(msg)
        handling = self._span
        if handling is not None:
            # Published by a handler: a child of its `process` span; the message
            # carries the context the handled message arrived with, as in FastStream.
            parent = trace.set_span_in_context(handling, context.get_current())
            TRACE_PROPAGATOR.inject(headers, context=self._origin)
        else:
            create = self._tracer.start_span(
                f"{destination} create", kind=SpanKind.PRODUCER, attributes=attributes
            )
            parent = trace.set_span_in_context(create)
            TRACE_PROPAGATOR.inject(headers, context=parent)
            create.end()
        attributes[OPERATION] = "publish"
        span = self._tracer.start_span(
            f"{destination} publish", parent, SpanKind.PRODUCER, attributes
        )
        token = context.attach(trace.set_span_in_context(span))
        try:
            msg.headers = headers
            return await call_next(msg)
        except Exception as error:
            _record_failure(span, error)
            raise
        finally:
            context.detach(token)
            span.end()

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if self._fallback is not None:
            # It ends the span it made, or the one it continued.
            await self._fallback.after_processed(exc_type, exc_val, exc_tb)
        elif self._span is not None and self._span.is_recording():
            self._span.end()
        if self._locals is not None:
            span_token, baggage_token = self._locals
            self._locals = None
            self.context.reset_local("span", span_token)
            self.context.reset_local(BAGGAGE_HEADER, baggage_token)
        return False

    def _faststream(self) -> BaseTelemetryMiddleware[Any]:
        """FastStream's own middleware for this message, for batches; it continues
        the trace of the message being handled, if any."""
        if self._fallback is None:
            self._fallback = BaseTelemetryMiddleware[Any](
                self.msg,
                tracer=self._tracer,
                metrics_container=self._metrics,
                settings_provider_factory=self._factory,
                context=self.context,
            )
            self._fallback._current_span = self._span
            self._fallback._origin_context = self._origin
        return self._fallback


def _says_batch(headers: dict[str, Any]) -> bool:
    """FastStream marks a batch published as one message in its baggage."""
    return bool(baggage.get_baggage(WITH_BATCH, BAGGAGE_PROPAGATOR.extract(headers)))


def _baggage(headers: dict[str, Any]) -> Baggage:
    """`Baggage.from_headers`, without parsing when there is no header to parse."""
    if BAGGAGE_HEADER in headers:
        return Baggage.from_headers(headers)
    return Baggage(dict(baggage.get_all()))


def _record_failure(span: Span, error: Exception) -> None:
    """What the SDK's `use_span` does with an exception: an event and ERROR status."""
    if span.is_recording():
        span.record_exception(error)
        span.set_status(
            Status(StatusCode.ERROR, description=f"{type(error).__name__}: {error}")
        )

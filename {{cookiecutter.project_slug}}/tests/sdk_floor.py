"""The floor inside the service, for the benchmark's `sdk` mode: the spans and
`traceparent` headers the service's tracing makes, by straight SDK calls and nothing
else (no metrics, baggage, `CurrentSpan`, batch or failure handling). What tracing
costs with it is what the SDK itself costs in this service, next to the broker
client and the handlers."""

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from faststream import BaseMiddleware, ContextRepo
from faststream.opentelemetry import TelemetryMiddleware
from faststream.opentelemetry.provider import TelemetrySettingsProvider
from opentelemetry import context, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()
OPERATION = "messaging.operation"

PerMessage = Callable[..., BaseMiddleware[Any, Any]]


class SdkAlone(BaseMiddleware[Any, Any]):
    """`<destination> process` for a message consumed (a child of its
    `traceparent`), `<destination> publish` for each one published while handling it
    (and `create` before it outside a handler), with the broker's attributes."""

    def __init__(
        self,
        msg: Any,
        /,
        *,
        tracer: Tracer,
        provider: TelemetrySettingsProvider[Any, Any],
        context: ContextRepo,
    ) -> None:
        super().__init__(msg, context=context)
        self.tracer = tracer
        self.provider = provider
        self.span: Span | None = None
        self.origin: Context | None = None

    async def consume_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], msg: Any
    ) -> Any:
        self.origin = PROPAGATOR.extract(msg.headers)
        attributes = self.provider.get_consume_attrs_from_message(msg)
        attributes[OPERATION] = "process"
        name = f"{self.provider.get_consume_destination_name(msg)} process"
        self.span = self.tracer.start_span(
            name, self.origin, SpanKind.CONSUMER, attributes
        )
        token = context.attach(trace.set_span_in_context(self.span, self.origin))
        try:
            return await call_next(msg)
        finally:
            context.detach(token)

    async def publish_scope(
        self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any
    ) -> Any:
        destination = self.provider.get_publish_destination_name(cmd)
        attributes = self.provider.get_publish_attrs_from_cmd(cmd)
        if self.span is None:
            create = self.tracer.start_span(
                f"{destination} create", kind=SpanKind.PRODUCER, attributes=attributes
            )
            parent = trace.set_span_in_context(create)
            create.end()
            PROPAGATOR.inject(cmd.headers, parent)
        else:
            parent = trace.set_span_in_context(self.span)
            PROPAGATOR.inject(cmd.headers, self.origin)
        attributes[OPERATION] = "publish"
        with self.tracer.start_as_current_span(
            f"{destination} publish", parent, SpanKind.PRODUCER, attributes
        ):
            return await call_next(cmd)

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool:
        if self.span is not None:
            self.span.end()
        return False


def sdk_alone(faststream: TelemetryMiddleware[Any]) -> PerMessage:
    """Per message, an `SdkAlone` with the tracer and the attribute provider of the
    broker's FastStream middleware."""

    def per_message(msg: Any, /, *, context: ContextRepo) -> SdkAlone:
        provider = faststream._settings_provider_factory(msg)
        assert provider is not None  # every message this service consumes has one
        return SdkAlone(
            msg, tracer=faststream._tracer, provider=provider, context=context
        )

    return per_message

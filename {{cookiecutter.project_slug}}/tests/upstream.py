"""A trace begun upstream, as a message's `traceparent` brings it: publishing under
this span sends the order in that trace, sampled or not."""

from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

UPSTREAM_TRACE = 0x0AF7651916CD43DD8448EB211C80319C
UPSTREAM_SPAN = 0x00F067AA0BA902B7


def upstream_span(*, sampled: bool) -> NonRecordingSpan:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return NonRecordingSpan(SpanContext(UPSTREAM_TRACE, UPSTREAM_SPAN, True, flags))

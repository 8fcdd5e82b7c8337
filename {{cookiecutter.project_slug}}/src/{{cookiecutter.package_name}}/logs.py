"""Log lines that carry the current trace and span ids, so logs and traces join up."""

import logging
import sys

from opentelemetry import trace

LOG_FORMAT = (
    "%(asctime)s %(levelname)s [%(name)s] "
    "[trace_id=%(otelTraceID)s span_id=%(otelSpanID)s] %(message)s"
)


class TraceContextFilter(logging.Filter):
    """Adds `otelTraceID` and `otelSpanID` (the names OpenTelemetry's own logging
    instrumentation uses) to every record; "0" when no span is active."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        valid = context.is_valid
        record.__dict__.update(
            otelTraceID=format(context.trace_id, "032x") if valid else "0",
            otelSpanID=format(context.span_id, "016x") if valid else "0",
        )
        return True


def configure_logging(level: str) -> None:
    """Send every logger's records to stderr with the trace context in each line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(TraceContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Log lines that carry the current trace and span ids, so logs and traces join up.

FastStream's own lines about each message (`Received`, `Processed`, a handler's
failure) go to the broker's logger, `BROKER_LOGGER`, and keep what FastStream's default
format shows in them: {{ broker.log_fields | map("tojson") | join(", ") }}. FastStream
logs them outside the message's span, so their trace id is 0; the message id joins
them to the span (its `messaging.message.id`). `Received` and `Processed` are logged at
DEBUG (`MESSAGE_LOG_LEVEL`), a handler's failure at ERROR.
"""

import logging
import sys

from opentelemetry import trace

TRACE_CONTEXT = "[trace_id=%(otelTraceID)s span_id=%(otelSpanID)s]"
LOG_FORMAT = f"%(asctime)s %(levelname)s [%(name)s] {TRACE_CONTEXT} %(message)s"

BROKER_LOGGER = "{{ cookiecutter.package_name }}.broker"
# FastStream's level for its lines about every message (`Received`, `Processed`) and
# its `waiting for messages` at start. Those two lines a message carry no trace id,
# and the handlers' own lines, which do, already say what became of each message: at
# INFO they would triple the service's log lines and much of logging's CPU (README.md,
# "What tracing costs"). LOG_LEVEL=DEBUG shows them; failures are ERROR either way.
MESSAGE_LOG_LEVEL = logging.DEBUG
# The fields FastStream gives each of its lines for this broker.
FASTSTREAM_FIELDS = ({{ broker.log_fields | map("tojson") | join(", ") }})
BROKER_LOG_FORMAT = (
    f"%(asctime)s %(levelname)s [%(name)s] {TRACE_CONTEXT} "
    + " | ".join(f"%({field})s" for field in FASTSTREAM_FIELDS)
    + " - %(message)s"
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


class FastStreamFields(logging.Filter):
    """Leaves FastStream's fields blank in lines that come without them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for field in FASTSTREAM_FIELDS:
            record.__dict__.setdefault(field, "")
        return True


def stderr_handler(log_format: str, *filters: logging.Filter) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(TraceContextFilter())
    for extra in filters:
        handler.addFilter(extra)
    handler.setFormatter(logging.Formatter(log_format))
    return handler


def configure_logging(level: str) -> None:
    """Send every logger's records to stderr with the trace context in each line,
    and FastStream's with its fields too."""
    logging.basicConfig(level=level, handlers=[stderr_handler(LOG_FORMAT)], force=True)
    broker_logger = logging.getLogger(BROKER_LOGGER)
    broker_logger.handlers = [stderr_handler(BROKER_LOG_FORMAT, FastStreamFields())]
    broker_logger.propagate = False


def quiet_http_access_log() -> None:
    """uvicorn logs every HTTP request at INFO: probes every few seconds would drown
    the service's own lines. Called once uvicorn has set up its loggers."""
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

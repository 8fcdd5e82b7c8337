"""Say once, clearly, when export (of spans, or of log records) starts failing, and
once when it recovers.

An unreachable collector would otherwise make the exporter log an error (and a line
per retry) for every batch, for as long as the outage lasts. Export runs in the batch
processor's own thread: the service keeps handling messages either way, and spans
that cannot be sent are dropped once the bounded queue is full.

While export is failing, it is tried again at most every few seconds; the batches in
between are dropped at once instead of each waiting out the exporter's timeout, so a
service stopping during an outage is not held up by its backlog.

What is lost is counted by what goes in and what comes out, not from the SDK's log
lines: every sampled span that ends is counted on its way into the batch processor,
and every span the exporter delivers on its way out. When export recovers, the spans
of the batches that failed are given; when the service stops, once the processor has
flushed, the difference is every span lost, whether in a failed batch or dropped
from a full queue (`OTEL_BSP_MAX_QUEUE_SIZE`).
"""

import logging
import threading
import time
from collections.abc import Callable, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

logger = logging.getLogger(__name__)

RETRY_INTERVAL_S = 5.0


class LastProblem(logging.Filter):
    """Holds back an exporter's own warnings and errors, keeping the last one so the
    single report can say what went wrong."""

    def __init__(self) -> None:
        super().__init__()
        self.message = ""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        self.message = record.getMessage()
        return False


# OpenTelemetry Python's logs exporters live in modules named `_log_exporter`: the
# one private name the project uses (see log_export.py).
LOG_EXPORTER_MODULE = "_log_exporter"


def exporter_loggers(exporter: object) -> set[str]:
    """The loggers of the modules that define the exporter and its bases (each logs
    under its module's name): public ones, and the logs exporters' own."""
    return {
        cls.__module__
        for cls in type(exporter).__mro__
        if cls.__module__.startswith("opentelemetry.exporter")
        and not any(
            part.startswith("_") and part != LOG_EXPORTER_MODULE
            for part in cls.__module__.split(".")
        )
    }


class ExportReport:
    """What a reporting exporter of any signal shares: sends a batch unless export
    failed moments ago, never raises, logs a state change rather than every batch,
    and counts the items (`what`: spans, log records) delivered and failed."""

    def __init__(self, exporter: object, what: str, retry_interval_s: float) -> None:
        self.exporter = exporter
        self.name = type(exporter).__name__
        self.what = what
        self.retry_interval_s = retry_interval_s
        self.delivered = 0
        self.failed = 0
        self._next_attempt = 0.0
        self._failing = False
        self._lock = threading.Lock()
        self._problem = LastProblem()
        for name in exporter_loggers(exporter):
            logging.getLogger(name).addFilter(self._problem)

    def send(self, batch_size: int, export: Callable[[], bool]) -> bool:
        """Whether `export` (True when it delivered) delivered the batch."""
        if self._failing and time.monotonic() < self._next_attempt:
            with self._lock:
                self.failed += batch_size
            return False  # failed moments ago: drop, do not wait
        try:
            delivered = export()
        except Exception as error:  # reported below, never raised
            self._problem.message = f"{type(error).__name__}: {error}"
            delivered = False
        self._report(delivered, batch_size)
        return delivered

    def _report(self, delivered: bool, batch_size: int) -> None:
        with self._lock:
            failing = not delivered
            if failing:
                self.failed += batch_size
            else:
                self.delivered += batch_size
            if failing and not self._failing:
                logger.warning(
                    "%s export with %s is failing (%s); %s are dropped until "
                    "it recovers, and the service goes on",
                    self.what.removesuffix("s"),
                    self.name,
                    self._problem.message or "no detail",
                    self.what,
                )
            elif self._failing and not failing:
                logger.warning(
                    "%s export with %s has recovered; %d %s of failed batches "
                    "lost so far",
                    self.what.removesuffix("s"),
                    self.name,
                    self.failed,
                    self.what,
                )
            self._failing = failing
            if failing:
                self._next_attempt = time.monotonic() + self.retry_interval_s

    def stop_holding_back(self) -> None:
        for name in exporter_loggers(self.exporter):
            logging.getLogger(name).removeFilter(self._problem)

    def report_lost(self, ended: int) -> None:
        """At shutdown, once everything queued was sent or dropped."""
        if lost := ended - self.delivered:
            logger.warning(
                "%s export with %s lost %d of %d %s in all",
                self.what.removesuffix("s"),
                self.name,
                lost,
                ended,
                self.what,
            )


class ReportingSpanExporter(SpanExporter):
    """Wraps a span exporter; never raises, and reports as `ExportReport` says."""

    def __init__(
        self, exporter: SpanExporter, retry_interval_s: float = RETRY_INTERVAL_S
    ) -> None:
        self.exporter = exporter
        self.report = ExportReport(exporter, "spans", retry_interval_s)
        self.name = self.report.name

    @property
    def delivered(self) -> int:
        return self.report.delivered

    @property
    def failed(self) -> int:
        return self.report.failed

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        delivered = self.report.send(
            len(spans),
            lambda: self.exporter.export(spans) is SpanExportResult.SUCCESS,
        )
        return SpanExportResult.SUCCESS if delivered else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        self.exporter.shutdown()
        self.report.stop_holding_back()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.exporter.force_flush(timeout_millis))


class ReportingBatchProcessor(SpanProcessor):
    """The SDK's `BatchSpanProcessor` around a `ReportingSpanExporter`, counting the
    spans that go in, so that at shutdown it can say how many never came out."""

    def __init__(
        self,
        exporter: SpanExporter,
        *,
        max_queue_size: int | None = None,
        retry_interval_s: float = RETRY_INTERVAL_S,
    ) -> None:
        self.reporter = ReportingSpanExporter(exporter, retry_interval_s)
        self.batch: SpanProcessor = BatchSpanProcessor(
            self.reporter, max_queue_size=max_queue_size
        )
        self.ended = 0
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.batch.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        # The batch processor takes only sampled spans: count what it takes.
        if span.context is not None and span.context.trace_flags.sampled:
            with self._lock:
                self.ended += 1
        self.batch.on_end(span)

    @property
    def lost(self) -> int:
        """Spans ended but not delivered: exact once the processor is shut down
        (before, spans still queued count too)."""
        return self.ended - self.reporter.delivered

    def shutdown(self) -> None:
        self.batch.shutdown()  # exports what is queued, then shuts the exporter down
        self.reporter.report.report_lost(self.ended)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.batch.force_flush(timeout_millis)

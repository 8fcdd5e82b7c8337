"""Say once, clearly, when span export starts failing, and once when it recovers.

An unreachable collector would otherwise make the exporter log an error (and a line
per retry) for every batch, for as long as the outage lasts. Export runs in the batch
processor's own thread: the service keeps handling messages either way, and spans
that cannot be sent are dropped once the bounded queue is full.

While export is failing, it is tried again at most every few seconds; the batches in
between are dropped at once instead of each waiting out the exporter's timeout, so a
service stopping during an outage is not held up by its backlog.

What is lost is counted, not logged span by span: the spans of failed batches, and
those the batch processor drops when its queue (`OTEL_BSP_MAX_QUEUE_SIZE`) is full. The
count is given when export recovers and, if any span was lost, when the service stops.
"""

import logging
import threading
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

logger = logging.getLogger(__name__)


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


class QueueOverflow(logging.Filter):
    """Counts the batch processor's "Queue full, dropping span." warnings (one per span
    dropped) and lets only the first through: the reporter gives the total later."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Queue full"):
            return True
        self.dropped += 1
        return self.dropped == 1


# The batch processor's logger, which warns once per span dropped from a full queue.
BATCH_PROCESSOR_LOGGER = "opentelemetry.sdk._shared_internal"
RETRY_INTERVAL_S = 5.0


class ReportingSpanExporter(SpanExporter):
    """Wraps an exporter; never raises, and logs a state change, not every batch."""

    def __init__(
        self, exporter: SpanExporter, retry_interval_s: float = RETRY_INTERVAL_S
    ) -> None:
        self._exporter = exporter
        self._name = type(exporter).__name__
        self._retry_interval_s = retry_interval_s
        self._next_attempt = 0.0
        self._failing = False
        self._lock = threading.Lock()
        self._problem = LastProblem()
        self._failed_spans = 0
        self._overflow = QueueOverflow()
        # Ahead of the processor's own filter, which lets one warning in 20 s through.
        logging.getLogger(BATCH_PROCESSOR_LOGGER).filters.insert(0, self._overflow)
        # The exporter logs from the modules that define it and its base classes.
        for module in {cls.__module__ for cls in type(exporter).__mro__}:
            if module.startswith("opentelemetry.exporter"):
                logging.getLogger(module).addFilter(self._problem)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._failing and time.monotonic() < self._next_attempt:
            with self._lock:
                self._failed_spans += len(spans)
            return SpanExportResult.FAILURE  # failed moments ago: drop, do not wait
        try:
            result = self._exporter.export(spans)
        except Exception as error:  # reported below, never raised
            self._problem.message = f"{type(error).__name__}: {error}"
            result = SpanExportResult.FAILURE
        self._report(result, len(spans))
        return result

    @property
    def dropped(self) -> int:
        """Spans lost so far: in failed batches, or dropped from a full queue."""
        return self._failed_spans + self._overflow.dropped

    def _report(self, result: SpanExportResult, batch_size: int) -> None:
        with self._lock:
            failing = result is SpanExportResult.FAILURE
            if failing:
                self._failed_spans += batch_size
            if failing and not self._failing:
                logger.warning(
                    "span export with %s is failing (%s); spans are dropped until "
                    "it recovers, and the service goes on",
                    self._name,
                    self._problem.message or "no detail",
                )
            elif self._failing and not failing:
                logger.warning(
                    "span export with %s has recovered; %d spans dropped so far",
                    self._name,
                    self.dropped,
                )
            self._failing = failing
            if failing:
                self._next_attempt = time.monotonic() + self._retry_interval_s

    def shutdown(self) -> None:
        self._exporter.shutdown()
        logging.getLogger(BATCH_PROCESSOR_LOGGER).removeFilter(self._overflow)
        if self.dropped:
            logger.warning(
                "span export with %s dropped %d spans in all", self._name, self.dropped
            )

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._exporter.force_flush(timeout_millis))

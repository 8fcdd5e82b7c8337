{%- set kafka = cookiecutter.broker in ("kafka", "confluent") -%}
"""One replica of the service for the scale-out test: the app as `faststream run`
runs it (same handlers, middleware, exporter and signal handling), which also
writes each span it records, as a JSON line, to a file of its own.

    python -m tests.integration.replica SPANS_FILE

It creates `SPANS_FILE.ready` once its subscribers have started{% if kafka %} and hold partitions{% endif %}.
"""

import asyncio
import json
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)


def span_record(span: ReadableSpan) -> dict[str, Any]:
    assert span.context is not None
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": span.context.trace_id,
        "span_id": span.context.span_id,
        "parent_id": span.parent.span_id if span.parent else None,
        "status": span.status.status_code.name,
        "attributes": {
            key: value
            for key, value in (span.attributes or {}).items()
            if isinstance(value, str | int | float | bool)
        },
    }
{%- if kafka %}


def assigned(subscriber: Any) -> bool:
    consumer = subscriber.consumer
    return consumer is not None and bool(consumer{% if cookiecutter.broker == "confluent" %}.consumer{% endif %}.assignment())
{%- endif %}


class JsonLinesSpanExporter(SpanExporter):
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self._file.write(json.dumps(span_record(span)) + "\n")
        self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._file.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    spans_file = Path(sys.argv[1])
    # Replicas on one host each need an HTTP port of their own (8000 by default).
    http_port = free_port()
    os.environ["HTTP_PORT"] = str(http_port)  # read when the app is imported
    from {{ cookiecutter.package_name }}.app import (
        app,
{%- if kafka %}
        broker,
{%- endif %}
        tracer_provider,
    )

    tracer_provider.add_span_processor(
        SimpleSpanProcessor(JsonLinesSpanExporter(spans_file))
    )

    @app.after_startup
{%- if kafka %}
    async def announce_ready() -> None:
        # The group hands partitions out a moment after the consumers start; once
        # every replica holds some, the group has settled and no rebalance is left.
        while True:
            if all(assigned(subscriber) for subscriber in broker.subscribers):
                break
            await asyncio.sleep(0.1)
{%- else %}
    def announce_ready() -> None:
{%- endif %}
        spans_file.with_suffix(".ready").touch()

    asyncio.run(app.run(run_extra_options={"port": http_port}))


if __name__ == "__main__":
    main()

"""Reading log records out of OTLP `ExportLogsServiceRequest`s, however they came,
and what an order's records must say: the handlers' lines inside their spans."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.trace import SpanContext, TraceFlags

from tests.exported import SERVICE_NAME, ExportedSpan
from tests.otlp_request import named_service
from tests.spans import INVOICES, ORDERS

# The span of an upstream service that sent the order.
UPSTREAM = SpanContext(
    trace_id=0x5B8EFFF798038103D269B633813FC60C,
    span_id=0xEEE19B7EC3C1B174,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)
HANDLERS_LOGGER = "{{ cookiecutter.package_name }}.handlers"


@dataclass(frozen=True)
class ExportedLogRecord:
    body: str
    trace_id: int
    span_id: int
    severity_text: str
    logger: str  # the instrumentation scope: the record's logger
    service_name: str


def exported_log_records(
    requests: Iterable[ExportLogsServiceRequest],
) -> list[ExportedLogRecord]:
    records = []
    for request in requests:
        for resource_logs in request.resource_logs:
            service_name = named_service(resource_logs.resource)
            records += [
                ExportedLogRecord(
                    body=record.body.string_value,
                    trace_id=int.from_bytes(record.trace_id, "big"),
                    span_id=int.from_bytes(record.span_id, "big"),
                    severity_text=record.severity_text,
                    logger=scope_logs.scope.name,
                    service_name=service_name,
                )
                for scope_logs in resource_logs.scope_logs
                for record in scope_logs.log_records
            ]
    return records


def assert_order_joined_to_its_logs(
    spans: Sequence[ExportedSpan], records: Sequence[ExportedLogRecord]
) -> None:
    """The order's spans continue the upstream trace, and each handler's line
    carries that trace id and its own `process` span's id as fields."""
    named = {span.name: span for span in spans}
    assert {span.trace_id for span in spans} == {UPSTREAM.trace_id}
    assert named[f"{ORDERS} create"].parent_id == UPSTREAM.span_id
    (priced,) = [r for r in records if r.body.startswith("priced order")]
    (dispatched,) = [r for r in records if r.body.startswith("invoice for order")]
    for record, span in (
        (priced, named[f"{ORDERS} process"]),
        (dispatched, named[f"{INVOICES} process"]),
    ):
        assert (record.trace_id, record.span_id) == (span.trace_id, span.span_id)
        assert record.severity_text == "INFO"
        assert record.logger == HANDLERS_LOGGER
        assert record.service_name == SERVICE_NAME

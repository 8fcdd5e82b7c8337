"""Reading the spans out of an OTLP `ExportTraceServiceRequest`, however it came."""

from collections.abc import Iterable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from tests.exported import ExportedSpan


def named_service(resource: Resource) -> str:
    """The `service.name` attribute of an OTLP resource."""
    (service_name,) = [
        attribute.value.string_value
        for attribute in resource.attributes
        if attribute.key == "service.name"
    ]
    return str(service_name)


def exported_spans(requests: Iterable[ExportTraceServiceRequest]) -> list[ExportedSpan]:
    spans = []
    for request in requests:
        for resource_spans in request.resource_spans:
            service_name = named_service(resource_spans.resource)
            spans += [
                ExportedSpan(
                    name=span.name,
                    trace_id=int.from_bytes(span.trace_id, "big"),
                    span_id=int.from_bytes(span.span_id, "big"),
                    parent_id=int.from_bytes(span.parent_span_id, "big") or None,
                    service_name=service_name,
                )
                for scope_spans in resource_spans.scope_spans
                for span in scope_spans.spans
            ]
    return spans

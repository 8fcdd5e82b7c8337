"""Spans as a receiver got them over the wire, whatever the protocol."""

from collections.abc import Sequence
from dataclasses import dataclass

from tests.spans import INVOICES, ORDERS

SERVICE_NAME = "{{ cookiecutter.project_slug }}"


@dataclass(frozen=True)
class ExportedSpan:
    name: str
    trace_id: int
    span_id: int
    parent_id: int | None
    service_name: str


def assert_exported_pipeline(spans: Sequence[ExportedSpan]) -> None:
    """What the receiver got is one order's whole trace, linked as documented."""
    named = {span.name: span for span in spans}
    assert sorted(named) == sorted(
        [
            f"{ORDERS} create",
            f"{ORDERS} publish",
            f"{ORDERS} process",
            f"{INVOICES} publish",
            f"{INVOICES} process",
        ]
    ), [span.name for span in spans]
    assert len(spans) == len(named), "a span arrived twice"
    create, process = named[f"{ORDERS} create"], named[f"{ORDERS} process"]
    assert create.parent_id is None
    assert named[f"{ORDERS} publish"].parent_id == create.span_id
    assert process.parent_id == create.span_id
    assert named[f"{INVOICES} publish"].parent_id == process.span_id
    assert named[f"{INVOICES} process"].parent_id == create.span_id
    assert {span.trace_id for span in spans} == {create.trace_id}
    assert {span.service_name for span in spans} == {SERVICE_NAME}

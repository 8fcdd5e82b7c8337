{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The stack checker's questions to Prometheus and Grafana, its deadline and what it
says it did not find, against canned HTTP answers; and the order it publishes, on
the in-memory broker. (Its trace lookup: test_stack_check_<store>.py.)"""

import socket
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }} import stack_check
from {{ cookiecutter.package_name }}.demo import SAMPLE_ORDER
from {{ cookiecutter.package_name }}.stack_check import (
    PROCESSED,
    Stack,
    check_stack,
    publish_order,
    service_spans,
)
from tests.canned_http import CannedAnswers
from tests.spans import INVOICES, ORDERS, trace_id
from tests.stack_answers import (
    DASHBOARD,
    DASHBOARD_FOUND,
    GRAFANA_HEALTH,
    HEALTHY_GRAFANA,
    PROMETHEUS_QUERY,
    can_healthy_monitoring,
    canned_stack,
    processed,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def monitoring(canned: CannedAnswers) -> Stack:
    """The stack's Prometheus and Grafana, without a trace store."""
    return canned_stack(canned)


def test_finds_the_messages_grafana_and_the_dashboard(canned: CannedAnswers) -> None:
    can_healthy_monitoring(canned)

    assert check_stack(monitoring(canned), TRACE_ID, deadline_s=5, poll_s=0) == []

    (query,) = [path for path in canned.asked if path.startswith(PROMETHEUS_QUERY)]
    assert parse_qs(urlsplit(query).query) == {"query": [PROCESSED]}


def test_waits_until_prometheus_has_scraped_the_messages(
    canned: CannedAnswers,
) -> None:
    can_healthy_monitoring(canned)
    canned.answer(PROMETHEUS_QUERY, processed(0), processed(1), processed(2))

    assert check_stack(monitoring(canned), TRACE_ID, deadline_s=30, poll_s=0) == []

    asked = [path for path in canned.asked if path.startswith(PROMETHEUS_QUERY)]
    assert len(asked) == 3


def test_says_exactly_what_it_did_not_find(canned: CannedAnswers) -> None:
    canned.answer(PROMETHEUS_QUERY, processed(1))
    canned.answer(GRAFANA_HEALTH, (503, {"database": "failing"}))
    canned.answer(DASHBOARD, (404, {"message": "Dashboard not found"}))
    query = f"{canned.url}{PROMETHEUS_QUERY}?{urlencode({'query': PROCESSED})}"

    missing = check_stack(monitoring(canned), TRACE_ID, deadline_s=0, poll_s=0)

    assert missing == [
        f"did not find messages processed, in Prometheus at {query} within 0 s: "
        "1 messages processed, expected at least 2",
        f"did not find Grafana's health at {canned.url}{GRAFANA_HEALTH} within 0 s: "
        "no answer (HTTP 503)",
        f"did not find the FastStream dashboard in Grafana at {canned.url}{DASHBOARD} "
        "within 0 s: no answer (HTTP 404)",
    ]


def test_reports_answers_that_lack_what_it_asked(canned: CannedAnswers) -> None:
    canned.answer(PROMETHEUS_QUERY, processed(0))
    canned.answer(GRAFANA_HEALTH, (200, {"database": "failing"}))
    canned.answer(DASHBOARD, (200, {"dashboard": {"uid": "another"}}))

    missing = check_stack(monitoring(canned), TRACE_ID, deadline_s=0, poll_s=0)

    assert [line.split(": ", 1)[1] for line in missing] == [
        "no series yet",
        "database is 'failing', not 'ok'",
        "the answer holds dashboard 'another'",
    ]


def test_an_answer_of_another_shape_is_reported_not_raised(
    canned: CannedAnswers,
) -> None:
    canned.answer(PROMETHEUS_QUERY, (200, {"status": "success", "data": {}}))
    canned.answer(GRAFANA_HEALTH, HEALTHY_GRAFANA)
    canned.answer(DASHBOARD, DASHBOARD_FOUND)

    (missing,) = check_stack(monitoring(canned), TRACE_ID, deadline_s=0, poll_s=0)

    assert missing.endswith(
        "an answer not shaped as expected (KeyError('result')): "
        "{'status': 'success', 'data': {}}"
    )


def test_a_stack_that_is_not_running_is_reported_as_refused() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    stack = Stack(grafana=f"http://127.0.0.1:{port}", traces=None)

    missing = check_stack(stack, TRACE_ID, deadline_s=0, poll_s=0)

    assert len(missing) == 3
    assert all("no answer (" in line and "refused" in line for line in missing)


async def test_publishes_the_order_in_the_trace_the_service_continues(
    test_broker: {{ broker.broker_class }}, spans: InMemorySpanExporter
) -> None:
    published = await publish_order(SAMPLE_ORDER)

    recorded = spans.get_finished_spans()
    service = [span for span in recorded if span.name in service_spans()]
    assert sorted(span.name for span in service) == sorted(service_spans())
    assert {f"{trace_id(span):032x}" for span in recorded} == {published}
    assert service_spans() == [
        f"{ORDERS} process",
        f"{INVOICES} publish",
        f"{INVOICES} process",
    ]


def test_main_publishes_then_exits_1_naming_what_is_missing(
    canned: CannedAnswers,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async def published(order: object) -> str:
        return TRACE_ID

    monkeypatch.setattr(stack_check, "publish_to_stack", published)
    canned.answer(GRAFANA_HEALTH, HEALTHY_GRAFANA)
    canned.answer(DASHBOARD, DASHBOARD_FOUND)

    code = stack_check.main(["--deadline", "0"], stack=monitoring(canned))

    printed = capsys.readouterr()
    assert code == 1
    assert f"in trace {TRACE_ID}" in printed.out
    assert "found Grafana's health" in printed.out
    (line,) = printed.err.splitlines()
    assert line.startswith("did not find messages processed, in Prometheus at ")
    assert line.endswith("within 0 s: no answer (HTTP 404)")

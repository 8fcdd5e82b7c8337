"""What a healthy stack's Prometheus and Grafana answer the stack checker, as they
answer it (shapes from their HTTP APIs)."""

from dataclasses import replace

from {{ cookiecutter.package_name }}.stack_check import (
    DASHBOARD_UID,
    PROMETHEUS_UID,
    Stack,
    TraceStore,
)
from tests.canned_http import Answer, CannedAnswers

PROMETHEUS_QUERY = f"/api/datasources/proxy/uid/{PROMETHEUS_UID}/api/v1/query"
GRAFANA_HEALTH = "/api/health"
DASHBOARD = f"/api/dashboards/uid/{DASHBOARD_UID}"


def processed(count: int) -> Answer:
    """Prometheus' instant vector for the processed-messages sum."""
    result = [{"metric": {}, "value": [1764836000.123, str(count)]}] if count else []
    return 200, {
        "status": "success",
        "data": {"resultType": "vector", "result": result},
    }


HEALTHY_GRAFANA: Answer = (
    200,
    {"commit": "0f5ad7e5", "database": "ok", "version": "12.1.0"},
)
DASHBOARD_FOUND: Answer = (
    200,
    {
        "meta": {"slug": "faststream-service", "provisioned": True},
        "dashboard": {"uid": DASHBOARD_UID, "title": "FastStream service"},
    },
)


def can_healthy_monitoring(canned: CannedAnswers) -> None:
    canned.answer(PROMETHEUS_QUERY, processed(2))
    canned.answer(GRAFANA_HEALTH, HEALTHY_GRAFANA)
    canned.answer(DASHBOARD, DASHBOARD_FOUND)


# Where a canned trace store answers, beside Grafana at the server's root.
STORE = "/store"


def canned_stack(canned: CannedAnswers, traces: TraceStore | None = None) -> Stack:
    """The stack, served by `canned`."""
    store = replace(traces, api=f"{canned.url}{STORE}") if traces else None
    return Stack(grafana=canned.url, traces=store)


def trace_path(traces: TraceStore, trace_id: str) -> str:
    return STORE + traces.path.format(trace_id=trace_id)

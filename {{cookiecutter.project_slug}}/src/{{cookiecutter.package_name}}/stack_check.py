{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set traces = cookiecutter._backends[cookiecutter.backend].traces -%}
"""Ask the running compose stack whether the service works end to end.

    docker compose up --build --wait
    uv run python -m {{ cookiecutter.package_name }}.stack_check

The second command publishes one order to the broker at BROKER_URL through the
service's own code, then asks the stack, until a deadline, for what that order
should have left in it:
{%- if traces %}

- the order's trace in {{ traces.store }}: the spans the service recorded for it;
{%- else %}

- (no trace store: this stack has no trace backend, its spans go to your collector);
{%- endif %}
- the messages processed, in Prometheus' `/api/v1/query` (through Grafana's data
  source proxy, which proves the data source as well);
- Grafana's health, and the FastStream dashboard by its uid.

It prints what it found and exactly what it did not, and exits 1 if anything is
missing. CI runs it against the stack (.github/workflows/stack.yml).
"""

import argparse
import asyncio
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.app import broker, tracer_provider
from {{ cookiecutter.package_name }}.demo import SAMPLE_ORDER
from {{ cookiecutter.package_name }}.models import Order
from {{ cookiecutter.package_name }}.topology import address, settings


@dataclass(frozen=True)
class TraceStore:
    """Where a trace backend answers for one trace: `api` + `path` (which holds
    `{trace_id}`), and the key under which its answer names each span."""

    name: str
    api: str
    path: str
    span_name_key: str


# compose.yaml publishes these on 127.0.0.1.
GRAFANA = "http://127.0.0.1:3000"
{%- if traces %}
TRACES: TraceStore | None = TraceStore(
    name="{{ traces.store }}",
    api="{{ traces.api }}",
    path="{{ traces.path }}",
    span_name_key="{{ traces.span_name_key }}",
)
{%- else %}
TRACES: TraceStore | None = None  # backend "none": no trace store in this stack
{%- endif %}
PROMETHEUS_UID = "prometheus"
DASHBOARD_UID = "faststream"
# Messages the service processed: the count of FastStream's processing histogram.
PROCESSED = "sum(messaging_process_duration_seconds_count)"
# The order and the invoice it publishes.
PROCESSED_AT_LEAST = 2

DEADLINE_S = 120.0
POLL_S = 2.0
REQUEST_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Stack:
    """The addresses of a running stack."""

    grafana: str = GRAFANA
    traces: TraceStore | None = TRACES

    @property
    def prometheus(self) -> str:
        return f"{self.grafana}/api/datasources/proxy/uid/{PROMETHEUS_UID}"


@dataclass(frozen=True)
class Question:
    """What to look for, where, and what a JSON answer lacks (None: nothing)."""

    what: str
    url: str
    lacks: Callable[[Any], str | None]


class NoAnswerError(Exception):
    """No JSON answer: refused, timed out, an error status, or not JSON."""


def ask(url: str, timeout_s: float = REQUEST_TIMEOUT_S) -> Any:
    if not url.startswith(("http://", "https://")):
        msg = f"not an HTTP address: {url}"
        raise ValueError(msg)
    # The scheme is checked above (S310 warns of file: and custom schemes).
    request = urllib.request.Request(  # noqa: S310
        url, headers={"Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:  # noqa: S310
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise NoAnswerError(f"HTTP {error.code}") from error
    except urllib.error.URLError as error:
        raise NoAnswerError(str(error.reason)) from error
    except (OSError, ValueError) as error:  # timeouts, resets; bodies not JSON
        raise NoAnswerError(str(error) or type(error).__name__) from error


def wait_for(question: Question, deadline: float, poll_s: float = POLL_S) -> str | None:
    """Ask until the answer lacks nothing (None) or `deadline` (time.monotonic())
    passes (what was last missing). Asks at least once."""
    while True:
        lack: str | None
        try:
            answer = ask(question.url)
        except NoAnswerError as error:
            lack = f"no answer ({error})"
        else:
            try:
                lack = question.lacks(answer)
            except (LookupError, TypeError, ValueError) as error:
                lack = f"an answer not shaped as expected ({error!r}): {answer!r:.200}"
        if lack is None or time.monotonic() >= deadline:
            return lack
        time.sleep(poll_s)


def strings_under(answer: Any, key: str) -> list[str]:
    """Every string value of `key` at any depth: each store nests spans its own way."""
    found: list[str] = []
    if isinstance(answer, dict):
        for name, value in answer.items():
            if name == key and isinstance(value, str):
                found.append(value)
            else:
                found.extend(strings_under(value, key))
    elif isinstance(answer, list):
        for item in answer:
            found.extend(strings_under(item, key))
    return found


def lacks_spans(expected: Sequence[str], key: str) -> Callable[[Any], str | None]:
    def lacks(answer: Any) -> str | None:
        # Compared without case: Zipkin keeps span names in lower case.
        found = {name.casefold() for name in strings_under(answer, key)}
        missing = [name for name in expected if name.casefold() not in found]
        if not missing:
            return None
        return f"spans {missing} missing; its {key!r} values: {sorted(found)}"

    return lacks


def lacks_processed(at_least: int) -> Callable[[Any], str | None]:
    def lacks(answer: Any) -> str | None:
        if not isinstance(answer, dict) or answer.get("status") != "success":
            return f"the query failed: {answer!r:.200}"
        values = [float(series["value"][1]) for series in answer["data"]["result"]]
        if not values:
            return "no series yet"
        if sum(values) < at_least:
            return f"{sum(values):g} messages processed, expected at least {at_least}"
        return None

    return lacks


def lacks_healthy_database(answer: Any) -> str | None:
    database = answer.get("database") if isinstance(answer, dict) else None
    return None if database == "ok" else f"database is {database!r}, not 'ok'"


def lacks_dashboard(uid: str) -> Callable[[Any], str | None]:
    def lacks(answer: Any) -> str | None:
        dashboard = answer.get("dashboard") if isinstance(answer, dict) else None
        found = dashboard.get("uid") if isinstance(dashboard, dict) else None
        return None if found == uid else f"the answer holds dashboard {found!r}"

    return lacks


def service_spans() -> list[str]:
    """The spans the service (not this script) records for one order."""
{%- if broker.span_prefix %}
    # Named after the exchange and the routing key.
    orders = f"{{ broker.span_prefix }}{settings.orders_topic}"
    invoices = f"{{ broker.span_prefix }}{settings.invoices_topic}"
{%- else %}
    orders, invoices = settings.orders_topic, settings.invoices_topic
{%- endif %}
    return [f"{orders} process", f"{invoices} publish", f"{invoices} process"]


def questions(stack: Stack, trace_id: str) -> list[Question]:
    query = urllib.parse.urlencode({"query": PROCESSED})
    asked = [
        Question(
            "messages processed, in Prometheus",
            f"{stack.prometheus}/api/v1/query?{query}",
            lacks_processed(PROCESSED_AT_LEAST),
        ),
        Question(
            "Grafana's health",
            f"{stack.grafana}/api/health",
            lacks_healthy_database,
        ),
        Question(
            "the FastStream dashboard in Grafana",
            f"{stack.grafana}/api/dashboards/uid/{DASHBOARD_UID}",
            lacks_dashboard(DASHBOARD_UID),
        ),
    ]
    if stack.traces is not None:
        store = stack.traces
        trace = Question(
            f"trace {trace_id} in {store.name}",
            store.api + store.path.format(trace_id=trace_id),
            lacks_spans(service_spans(), store.span_name_key),
        )
        asked.insert(0, trace)
    return asked


def check_stack(
    stack: Stack, trace_id: str, deadline_s: float = DEADLINE_S, poll_s: float = POLL_S
) -> list[str]:
    """What was not found, one line each (none: all found). Every question is asked,
    each until the same deadline."""
    deadline = time.monotonic() + deadline_s
    if stack.traces is None:
        print("no trace store in this stack: the order's trace is not looked for")
    missing = []
    for question in questions(stack, trace_id):
        lack = wait_for(question, deadline, poll_s)
        if lack is None:
            print(f"found {question.what}")
        else:
            missing.append(
                f"did not find {question.what} at {question.url} within "
                f"{deadline_s:g} s: {lack}"
            )
    return missing


async def publish_order(order: Order) -> str:
    """Publish `order` through the service's broker (connected) and return the id of
    the trace its publishing started, as 32 hex digits."""
    recorder = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(recorder))
    await broker.publish(order, **address(settings.orders_topic))
    trace_ids = {
        span.context.trace_id for span in recorder.get_finished_spans() if span.context
    }
    if len(trace_ids) != 1:
        msg = f"publishing recorded {len(trace_ids)} traces, not 1 (is tracing off?)"
        raise RuntimeError(msg)
    return f"{trace_ids.pop():032x}"


async def publish_to_stack(order: Order) -> str:
    async with broker:  # BROKER_URL: the stack's broker, published on localhost
        return await publish_order(order)


def main(argv: Sequence[str] | None = None, stack: Stack | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__name__}",
        description="Publish an order and look for it in the running compose stack.",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=DEADLINE_S,
        help="seconds the stack has, once the order is published, to show it all",
    )
    arguments = parser.parse_args(argv)
    trace_id = asyncio.run(publish_to_stack(SAMPLE_ORDER))
    print(f"published order {SAMPLE_ORDER.order_id} in trace {trace_id}")
    missing = check_stack(stack or Stack(), trace_id, arguments.deadline)
    for line in missing:
        print(line, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- set kafka = cookiecutter.broker in ("kafka", "confluent") -%}
"""Replicas share the work: three instances of the service on one consumer group and
a few hundred orders; each order is handled by exactly one replica, more than one
replica does work, and every order's trace is whole.

    uv run pytest -m integration -s    # -s shows who handled what
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from {{ broker.middleware_module }} import {{ broker.middleware_class }}
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from {{ cookiecutter.package_name }}.app import tracer_provider
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.integration.cleanup import remove_destinations
{%- if kafka %}
from tests.integration.{{ cookiecutter.broker }}_partitions import create_topics
{%- endif %}
from tests.messages import ORDER
from tests.spans import assert_documented_tree, by_name, destination, trace_id

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

REPLICAS = 3
ORDERS_SENT = 300
# Destinations and a group of this test's own: the session's `real_broker`, which
# consumes the run's usual ones in this process, must not take a share.
ORDERS_TOPIC = f"{settings.orders_topic}-scaled"
INVOICES_TOPIC = f"{settings.invoices_topic}-scaled"
GROUP = f"{settings.consumer_group}-scaled"
STARTUP_TIMEOUT = 60.0
HANDLED_TIMEOUT = 120.0
PROJECT_ROOT = Path(__file__).parents[2]


def readable(record: dict[str, Any]) -> ReadableSpan:
    """A span a replica wrote (see `replica.py`), read back."""
    parent = record["parent_id"]
    return ReadableSpan(
        name=record["name"],
        context=SpanContext(record["trace_id"], record["span_id"], is_remote=False),
        parent=SpanContext(record["trace_id"], parent, True) if parent else None,
        kind=SpanKind[record["kind"]],
        attributes=record["attributes"],
        status=Status(StatusCode[record["status"]]),
    )


class Replica:
    """The service in a process of its own, as a deployment runs it."""

    def __init__(self, number: int, directory: Path) -> None:
        self.name = f"replica-{number}"
        self.spans_file = directory / f"{self.name}.jsonl"
        self.log_file = directory / f"{self.name}.log"
        environment = {
            **os.environ,
            "ORDERS_TOPIC": ORDERS_TOPIC,
            "INVOICES_TOPIC": INVOICES_TOPIC,
            "CONSUMER_GROUP": GROUP,
{%- if cookiecutter.broker == "redis" %}
            # One host runs them all: each needs a name of its own, as pods have.
            "CONSUMER_NAME": f"{GROUP}-{self.name}",
{%- elif cookiecutter.broker == "mqtt" %}
            # One host runs them all: each needs a client id of its own, as pods have.
            "MQTT_CLIENT_ID": f"{GROUP}-{self.name}",
{%- endif %}
        }
        with self.log_file.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "tests.integration.replica", self.spans_file],
                cwd=PROJECT_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def ready(self) -> bool:
        return self.spans_file.with_suffix(".ready").exists()

    def spans(self) -> list[ReadableSpan]:
        if not self.spans_file.exists():
            return []
        lines = self.spans_file.read_text(encoding="utf-8").splitlines()
        return [readable(json.loads(line)) for line in lines]

    def stop(self) -> int:
        """SIGTERM, as `docker stop` and Kubernetes send it; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8")[-3000:]


@contextmanager
def running(count: int, directory: Path) -> Iterator[list[Replica]]:
    replicas = [Replica(number, directory) for number in range(1, count + 1)]
    try:
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


async def wait_until_ready(replicas: list[Replica]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not all(replica.ready for replica in replicas):
        for replica in replicas:
            if replica.process.poll() is not None:
                pytest.fail(f"{replica.name} exited:\n{replica.log()}")
        if time.monotonic() > deadline:
            pytest.fail("the replicas did not start in time")
        await asyncio.sleep(0.1)


def orders_processed(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    name = f"{destination(ORDERS_TOPIC)} process"
    return [span for span in spans if span.name == name]


def invoices_processed(spans: list[ReadableSpan]) -> int:
    return sum(span.name == f"{destination(INVOICES_TOPIC)} process" for span in spans)


async def wait_until_handled(replicas: list[Replica], count: int) -> None:
    deadline = time.monotonic() + HANDLED_TIMEOUT
    while True:
        done = sum(invoices_processed(replica.spans()) for replica in replicas)
        if done >= count:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{done} of {count} invoices dispatched in time")
        await asyncio.sleep(0.2)


async def test_replicas_share_the_orders_and_handle_each_once(
    broker_listening: None, tmp_path: Path, spans: InMemorySpanExporter
) -> None:
    order_ids = [f"order-{uuid.uuid4().hex[:12]}" for _ in range(ORDERS_SENT)]
{%- if kafka %}
    await create_topics(
        settings.broker_url, [ORDERS_TOPIC, INVOICES_TOPIC], partitions=REPLICAS
    )
{%- endif %}
    publisher = {{ broker.broker_class }}(
        settings.broker_url,
        middlewares=[
            {{ broker.middleware_class }}(tracer_provider=tracer_provider),
        ],
    )
    async with publisher:
        await publisher.start()
        try:
            with running(REPLICAS, tmp_path) as replicas:
                await wait_until_ready(replicas)
                for order_id in order_ids:
                    await publisher.publish(
                        {**ORDER, "order_id": order_id},
                        **address(ORDERS_TOPIC),
{%- if kafka %}
                        key=order_id.encode(),
{%- endif %}
                    )
                await wait_until_handled(replicas, ORDERS_SENT)
                exit_codes = [replica.stop() for replica in replicas]
        finally:
            await remove_destinations(publisher, [ORDERS_TOPIC, INVOICES_TOPIC], GROUP)

    handled_by: dict[str, list[str]] = {}
    replica_spans: list[ReadableSpan] = []
    for replica in replicas:
        replica_spans += replica.spans()
        for span in orders_processed(replica.spans()):
            order_id = str((span.attributes or {})["app.order.id"])
            handled_by.setdefault(order_id, []).append(replica.name)
    per_replica = Counter(name for names in handled_by.values() for name in names)
    duplicated = [order for order, names in handled_by.items() if len(names) > 1]
    lost = [order for order in order_ids if order not in handled_by]
    print(
        f"\n{REPLICAS} replicas, {ORDERS_SENT} orders published: "
        f"{sum(per_replica.values())} handled {dict(sorted(per_replica.items()))}, "
        f"{len(duplicated)} duplicated, {len(lost)} lost"
    )

    # A clean stop: uvicorn, which serves the HTTP endpoints, ends the app gracefully
    # and then raises the SIGTERM again, so the process ends by it.
    assert exit_codes == [-signal.SIGTERM] * REPLICAS, [r.log() for r in replicas]
    assert not lost
    assert not duplicated
    assert len(per_replica) > 1, f"one replica did all the work: {per_replica}"

    traces: dict[int, list[ReadableSpan]] = {}
    for span in [*spans.get_finished_spans(), *replica_spans]:
        traces.setdefault(trace_id(span), []).append(span)
    for process in orders_processed(replica_spans):
        assert_documented_tree(
            by_name(traces[trace_id(process)]),
            destination(ORDERS_TOPIC),
            destination(INVOICES_TOPIC),
        )

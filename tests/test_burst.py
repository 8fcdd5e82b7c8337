"""A burst never stalls a replica, on every broker: one replica of a generated service
(`faststream run`) is sent 10,000 orders at once (QoS 1 on MQTT), as fast as one
producer publishes them. Then it is killed, 10,000 more orders arrive while it is
down, and it is restarted in place with that backlog waiting for it.

An independent consumer of the invoices (a group of its own) counts what was
invoiced: every order of both bursts, at least once. The replica's resident memory
(VmRSS, read from /proc while it works) stays within 150 MB of what it was idle: a
backlog waits in the broker, and each replica holds a bounded part of it (its
`PREFETCH_COUNT`, or its Kafka client's fetch buffers).

Brokers are the crash tests' (tests/test_crash_delivery.py): private Redis, NATS and
Mosquitto (configured as the generated compose stack's), the local RabbitMQ, a Tansu
broker of the test's own for Kafka and Confluent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.faults import Service, project_factory, publish, run_environment
from tests.test_crash_delivery import (
    PRIVATE,
    broker_url,
    clean_up,
    counted,
    prepare,
    replica_environment,
)

pytestmark = pytest.mark.generated

BURST = 10_000
MEMORY_BOUND_KIB = 150 * 1024
# A burst of 10,000 takes the slowest producer here tens of seconds to publish.
PUBLISH_TIMEOUT_S = 300.0
# Invoices stop arriving for this long: the replica has stalled.
STALLED_AFTER_S = 90.0


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A project per broker; spans to the console, which nobody reads here."""
    return project_factory(tmp_path_factory, "console", "none")


class Replica:
    """The one replica, its memory sampled while it works."""

    def __init__(self, project: Path, environment: dict[str, str]) -> None:
        self.service = Service(project, environment)
        self.peak_kib = self.service.resident_kib()

    def sample(self) -> None:
        if self.service.process.poll() is None:
            self.peak_kib = max(self.peak_kib, self.service.resident_kib())


def invoice_all(counter: Service, replica: Replica, orders: set[str]) -> set[str]:
    """Sample the replica until every one of `orders` is counted or invoices stop
    coming; the orders never invoiced."""
    seen, last_progress = 0, time.monotonic()
    while True:
        replica.sample()
        missing = orders - set(counted(counter))
        if not missing:
            return missing
        if len(orders) - len(missing) > seen:
            seen, last_progress = len(orders) - len(missing), time.monotonic()
        elif time.monotonic() - last_progress > STALLED_AFTER_S:
            return missing
        time.sleep(0.5)


def numbered(first: int, count: int) -> set[str]:
    return {f"order-{number}" for number in range(first, first + count)}


@pytest.mark.parametrize("broker", ["kafka", "confluent", "rabbit", *PRIVATE])
def test_one_replica_invoices_a_burst_and_a_backlog_of_ten_thousand(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    project = projects(broker)
    run = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        url = stack.enter_context(broker_url(broker, tmp_path))
        environment = replica_environment(run_environment(url, "burst", run), 0)
        prepare(broker, project, environment)
        stack.callback(clean_up, broker, project, environment)
        # The replica first: on NATS it creates the stream the counter reads.
        replica = Replica(project, environment)
        stack.callback(lambda: replica.service.kill())
        counter = Service(project, environment, app="fault_count:app")
        stack.callback(counter.kill)
        idle_kib = replica.peak_kib
        started = time.monotonic()
        publish(project, environment, 0, BURST, timeout=PUBLISH_TIMEOUT_S)
        burst_missing = invoice_all(counter, replica, numbered(0, BURST))
        burst_s = time.monotonic() - started
        burst_peak_kib = replica.peak_kib

        # Killed, so that nothing is handed back or unsubscribed: the backlog waits
        # for it in the broker (its session, on MQTT).
        replica.service.kill()
        publish(project, environment, BURST, BURST, timeout=PUBLISH_TIMEOUT_S)
        started = time.monotonic()
        replica = Replica(project, environment)
        backlog_missing = invoice_all(counter, replica, numbered(BURST, BURST))
        backlog_s = time.monotonic() - started
    print(
        f"{broker}: burst of {BURST} invoiced but {len(burst_missing)} in"
        f" {burst_s:.0f} s, peak RSS +{(burst_peak_kib - idle_kib) / 1024:.0f} MB;"
        f" backlog of {BURST} invoiced but {len(backlog_missing)} in"
        f" {backlog_s:.0f} s, peak RSS +{(replica.peak_kib - idle_kib) / 1024:.0f} MB"
        f" (idle {idle_kib / 1024:.0f} MB)"
    )
    assert burst_missing == set()
    assert backlog_missing == set()
    assert burst_peak_kib - idle_kib <= MEMORY_BOUND_KIB
    assert replica.peak_kib - idle_kib <= MEMORY_BOUND_KIB

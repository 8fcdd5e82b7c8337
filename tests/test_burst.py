"""A burst never stalls a replica, on every broker: one replica of a generated service
(`faststream run`) is sent 10,000 orders at once (QoS 1 on MQTT), as fast as one
producer publishes them. Once it has invoiced 2,000 of them (MQTT's replica used to
stall at about 1,000) it is killed, and restarted in place with the rest, thousands,
waiting for it.

An independent consumer of the invoices (a group of its own) counts what was
invoiced: every order, at least once. The replica's resident memory (VmRSS, read from
/proc while it works) stays within 150 MB of what it was idle: a backlog waits in the
broker, and each replica holds a bounded part of it (its `PREFETCH_COUNT`, or its
Kafka client's fetch buffers).

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
KILLED_AFTER = 2_000
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


def invoice(
    counter: Service, replica: Replica, orders: set[str], enough: int
) -> set[str]:
    """Sample the replica until `enough` of `orders` are counted or invoices stop
    coming; those not counted yet."""
    seen, last_progress = 0, time.monotonic()
    while True:
        replica.sample()
        missing = orders - set(counted(counter))
        if len(orders) - len(missing) >= enough:
            return missing
        if len(orders) - len(missing) > seen:
            seen, last_progress = len(orders) - len(missing), time.monotonic()
        elif time.monotonic() - last_progress > STALLED_AFTER_S:
            return missing
        time.sleep(0.5)


def numbered(first: int, count: int) -> set[str]:
    return {f"order-{number}" for number in range(first, first + count)}


@pytest.mark.parametrize("broker", ["kafka", "confluent", "rabbit", *PRIVATE])
def test_one_replica_invoices_a_burst_of_ten_thousand_through_a_kill(
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
        orders = numbered(0, BURST)
        started = time.monotonic()
        publish(project, environment, 0, BURST, timeout=PUBLISH_TIMEOUT_S)
        waiting = invoice(counter, replica, orders, KILLED_AFTER)
        burst_peak_kib = replica.peak_kib

        # Killed, so that nothing is handed back or unsubscribed: what it has not
        # invoiced waits for it in the broker (its session, on MQTT).
        replica.service.kill()
        replica = Replica(project, environment)
        missing = invoice(counter, replica, orders, BURST)
        elapsed = time.monotonic() - started
    print(
        f"{broker}: {BURST} orders at once, {BURST - len(waiting)} invoiced before"
        f" the kill (peak RSS +{(burst_peak_kib - idle_kib) / 1024:.0f} MB),"
        f" {len(waiting)} waiting at the restart; {BURST - len(missing)} invoiced in"
        f" {elapsed:.0f} s (peak RSS +{(replica.peak_kib - idle_kib) / 1024:.0f} MB"
        f" over an idle {idle_kib / 1024:.0f} MB)"
    )
    assert BURST - len(waiting) >= KILLED_AFTER, "stalled before the kill"
    assert missing == set()
    assert burst_peak_kib - idle_kib <= MEMORY_BOUND_KIB
    assert replica.peak_kib - idle_kib <= MEMORY_BOUND_KIB

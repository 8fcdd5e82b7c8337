"""Faults injected into a generated service, run as users run it (`faststream run`):
its broker restarting, a SIGTERM while a message is in flight, its span backend
unreachable. Each test counts what was sent, handled and traced, and what was lost.

These live in the template's suite, not in the generated projects: they start private
`redis-server`, `nats-server` and `mosquitto` processes (so they can be stopped and
started again without touching shared brokers), which a user's machine need not have.
Kafka's stand-in here, Tansu, keeps topics in memory only, so a restart of it is a new,
empty broker; RabbitMQ has no cheap private instance. Both are left out.

All three deliver at least once (JetStream for NATS, QoS 1 for MQTT): what a stopped
replica leaves unhandled goes to the next one, and on MQTT the last replica of a
group finishes its orders before it stops reading invoices (app.py). Crashes
(SIGKILL) are in test_crash_delivery.py.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.faults import (
    STOPPED_BY_SIGTERM,
    PrivateBroker,
    Service,
    ZipkinEndpoint,
    private_broker,
    project_environment,
    project_factory,
    publish,
    unresponsive_endpoint,
    zipkin_endpoint,
)

pytestmark = pytest.mark.generated

HANDLED = re.compile(r"priced order (order-\d+)")
DISPATCHED = re.compile(r"invoice for order (order-\d+) ready")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A project per broker; Zipkin exporter: its JSON is read here as is."""
    return project_factory(tmp_path_factory, "zipkin", "zipkin")


def service_environment(
    broker_url: str, spans_url: str, **extra: str
) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return project_environment(
        BROKER_URL=broker_url,
        ORDERS_TOPIC=f"orders-{run}",
        INVOICES_TOPIC=f"invoices-{run}",
        CONSUMER_GROUP=f"faults-{run}",
        OTEL_EXPORTER_ZIPKIN_ENDPOINT=spans_url,
        OTEL_BSP_SCHEDULE_DELAY="100",
        **extra,
    )


def stop_grace_period_s(project: Path) -> int:
    """How long Compose waits after SIGTERM before it kills the service (Kubernetes
    waits longer: tests/test_kubernetes.py)."""
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    period = str(compose["services"]["app"]["stop_grace_period"])
    assert period.endswith("s"), period
    return int(period.removesuffix("s"))


def handled(pattern: re.Pattern[str], *services: Service) -> Counter[str]:
    """The orders the services logged as priced (HANDLED) or dispatched."""
    return Counter(
        match[1]
        for service in services
        for line in list(service.lines)
        if (match := pattern.search(line))
    )


def assert_traced_as_logged(spans: ZipkinEndpoint, *services: Service) -> None:
    """Every message the services logged as handled has its spans at the receiver,
    and there is no span for a message they did not handle."""
    priced, dispatched = handled(HANDLED, *services), handled(DISPATCHED, *services)
    names = spans.names()
    assert spans.order_ids() == priced
    assert names["orders process"] == names["invoices publish"] == priced.total()
    assert names["invoices process"] == dispatched.total()


@pytest.mark.parametrize("broker", ["redis", "nats", "mqtt"])
def test_the_service_goes_on_consuming_after_its_broker_restarts(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    project = projects(broker)
    before, after = 10, 10
    with private_broker(broker, tmp_path) as private, zipkin_endpoint() as spans:
        environment = service_environment(private.url, spans.url)
        service = Service(project, environment)
        try:
            private.wait_for_consumers(environment)
            publish(project, environment, 0, before)
            service.wait_for_line("ready for customer", 60, times=before)

            private.server.stop()
            private.server.start()
            private.wait_for_consumers(environment)
            publish(project, environment, before, after)
            service.wait_for_line("ready for customer", 120, times=before + after)
            stopped_in = service.terminate()
        finally:
            service.kill()

    sent = {f"order-{number}" for number in range(before + after)}
    print(f"{broker} restart: stopped in {stopped_in:.1f} s")
    print("\n".join(line for line in service.lines if "INFO" not in line))
    assert service.process.returncode == STOPPED_BY_SIGTERM, service.log()
    assert handled(HANDLED, service) == dict.fromkeys(sent, 1)
    assert handled(DISPATCHED, service) == dict.fromkeys(sent, 1)
    assert_traced_as_logged(spans, service)
    assert spans.names() == dict.fromkeys(
        ["orders create", "orders process", "invoices publish", "invoices process"],
        len(sent),
    )


@pytest.mark.parametrize("broker", ["redis", "nats", "mqtt"])
def test_a_message_in_flight_when_the_broker_restarts_is_finished_once(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    project = projects(broker)
    with private_broker(broker, tmp_path) as private, zipkin_endpoint() as spans:
        environment = service_environment(private.url, spans.url, HOLD_S="3")
        service = Service(project, environment)
        try:
            private.wait_for_consumers(environment)
            publish(project, environment, 0, 1)
            service.wait_for_line("holding a message", 30)
            private.server.stop()
            private.server.start()
            service.wait_for_line("ready for customer", 120)
            # and the service goes on consuming
            private.wait_for_consumers(environment)
            publish(project, environment, 1, 1)
            service.wait_for_line("ready for customer", 120, times=2)
            service.terminate()
        finally:
            service.kill()

    print("\n".join(line for line in service.lines if "INFO" not in line))
    assert service.process.returncode == STOPPED_BY_SIGTERM, service.log()
    sent = {"order-0": 1, "order-1": 1}
    assert handled(HANDLED, service) == sent
    assert handled(DISPATCHED, service) == sent
    assert_traced_as_logged(spans, service)


# MQTT keeps a message only for the subscriptions that exist: a lone replica must
# stop reading orders before invoices, or the invoice it publishes while finishing
# would reach no subscriber of its group.
@pytest.mark.parametrize("broker", ["redis", "nats", "mqtt"])
def test_sigterm_finishes_the_message_in_flight_and_exports_its_spans(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    project = projects(broker)
    with private_broker(broker, tmp_path) as private, zipkin_endpoint() as spans:
        environment = service_environment(private.url, spans.url, HOLD_S="3")
        service = Service(project, environment)
        try:
            private.wait_for_consumers(environment)
            publish(project, environment, 0, 1)
            service.wait_for_line("holding a message", 30)
            stopped_in = service.terminate()
        finally:
            service.kill()
        print(f"{broker} SIGTERM: stopped in {stopped_in:.1f} s")
        assert service.process.returncode == STOPPED_BY_SIGTERM, service.log()
        # FastStream waits up to 15 s (its graceful_timeout) for handlers in flight;
        # the spans are flushed after that. Done before Compose would kill it: a
        # bound the project promises, not this machine's pace.
        assert stopped_in < stop_grace_period_s(project)
        assert handled(HANDLED, service) == {"order-0": 1}, "not finished in flight"
        assert_traced_as_logged(spans, service)

        # The next replica takes over what the stopped one left in the broker.
        successor = Service(project, {**environment, "HOLD_S": "0"})
        try:
            if not handled(DISPATCHED, service):
                successor.wait_for_line("ready for customer", 15)
            successor.terminate()
        finally:
            successor.kill()
        assert handled(DISPATCHED, service, successor) == {"order-0": 1}
        assert_traced_as_logged(spans, service, successor)


def run_through_an_outage(
    project: Path, private: PrivateBroker, **extra: str
) -> tuple[Service, list[int], range]:
    """CHUNKS x CHUNK orders through the service while its span endpoint hangs; the
    service's resident memory after each chunk is handled, and the clock windows
    (`clock_windows`) its life touched.
    The first export hangs for the whole run whatever the broker's pace (its timeout
    is longer than the run), and fails at once when the endpoint goes away before
    the stop."""
    with unresponsive_endpoint() as url:
        environment = service_environment(
            private.url, url, OTEL_EXPORTER_ZIPKIN_TIMEOUT="600", **extra
        )
        started = time.time()
        service = Service(project, environment)
        samples = []
        try:
            private.wait_for_consumers(environment)
            for chunk in range(CHUNKS):
                publish(project, environment, chunk * CHUNK, CHUNK)
                done = (chunk + 1) * CHUNK
                service.wait_for_line("ready for customer", 120, times=done)
                samples.append(service.resident_kib())
        except BaseException:
            service.kill()
            raise
    try:
        service.terminate()
    finally:
        service.kill()
    return service, samples, clock_windows(started, time.time())


# The SDK's DuplicateFilter lets a repeated log line through once per window of
# `time.time() // 20`: windows aligned to the clock, not to the run, so a run of
# any length can straddle one more boundary than its length suggests.
DUPLICATE_WINDOW_S = 20


def clock_windows(start: float, end: float) -> range:
    """The DuplicateFilter windows that the wall-clock interval [start, end] touches."""
    return range(int(start // DUPLICATE_WINDOW_S), int(end // DUPLICATE_WINDOW_S) + 1)


# 5 x 800 orders, 4 spans each: the default queue (8192 spans, and 512 in the hung
# export) is full after 2176 orders, within the third chunk.
CHUNKS, CHUNK = 5, 800
FULL_FROM_CHUNK = 2


@pytest.mark.parametrize("broker", ["nats"])
def test_an_exporter_outage_keeps_memory_bounded_and_counts_every_lost_span(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    project = projects(broker)
    orders = CHUNKS * CHUNK
    with private_broker(broker, tmp_path) as private:
        service, bounded, windows = run_through_an_outage(project, private)
        # The same outage with a queue that never fills: what the limit saves.
        _, unbounded, _ = run_through_an_outage(
            project, private, OTEL_BSP_MAX_QUEUE_SIZE=str(10 * orders)
        )

    print(f"resident KiB after each {CHUNK} orders: {bounded} vs {unbounded}")
    print(f"the bounded run touched {len(windows)} windows of {DUPLICATE_WINDOW_S} s")
    print("\n".join(line for line in service.lines if "INFO" not in line))
    assert service.process.returncode == STOPPED_BY_SIGTERM, service.log()
    assert handled(DISPATCHED, service) == {f"order-{n}": 1 for n in range(orders)}
    # The log: the outage once, the queue's overflow said by the SDK at most once
    # in each clock window the service lived through (not once per span dropped:
    # thousands are), and the count at stop: every span the service made (4 an
    # order) dropped, and counted.
    assert service.count("is failing") == 1
    assert 1 <= service.count("Queue full") <= len(windows), windows
    ((lost, ended),) = (
        (int(match[1]), int(match[2]))
        for line in service.lines
        if (match := re.search(r"lost (\d+) of (\d+) spans in all", line))
    )
    # Counted from the spans that went into the batch processor and those delivered:
    # exact, on any SDK version.
    assert lost == ended >= 4 * orders, service.log()
    assert service.count("Traceback") == 0
    # Memory: once the bounded queue is full it holds memory flat, where the
    # unbounded one keeps every span.
    first = FULL_FROM_CHUNK
    grown, grown_unbounded = (
        bounded[-1] - bounded[first],
        unbounded[-1] - unbounded[first],
    )
    assert grown < grown_unbounded / 3, (bounded, unbounded)


@pytest.mark.parametrize(
    ("broker", "waiting"),
    [
        pytest.param("redis", False, id="redis-arriving"),
        pytest.param("redis", True, id="redis-waiting"),
        pytest.param("nats", False, id="nats-arriving"),
        pytest.param("mqtt", False, id="mqtt-arriving"),
    ],
)
def test_what_a_stopped_replica_leaves_goes_to_the_next_one(
    broker: str, waiting: bool, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    """Orders arrive while the replica handles the first (or wait in the broker
    before it starts); it is stopped mid-way, and the next replica finishes them."""
    project = projects(broker)
    orders = 4
    with private_broker(broker, tmp_path) as private, zipkin_endpoint() as spans:
        environment = service_environment(private.url, spans.url, HOLD_S="2")
        if waiting:
            # A consumer group starts at the stream's end when a replica first
            # starts (orders sent before then are never read): have one made first.
            Service(project, environment).terminate()
            publish(project, environment, 0, orders)
        service = Service(project, environment)
        try:
            if not waiting:
                private.wait_for_consumers(environment)
                publish(project, environment, 0, orders)
            service.wait_for_line("holding a message", 30)
            service.terminate()
        finally:
            service.kill()
        successor = Service(project, {**environment, "HOLD_S": "0"})
        try:
            # What the stopped replica finished before it left, the successor does not.
            left = orders - handled(DISPATCHED, service).total()
            successor.wait_for_line("ready for customer", 15, times=left)
            successor.terminate()
        finally:
            successor.kill()

    sent = {f"order-{n}": 1 for n in range(orders)}
    assert handled(HANDLED, service, successor) == sent
    assert handled(DISPATCHED, service, successor) == sent
    assert_traced_as_logged(spans, service, successor)


def test_the_windows_counted_are_those_a_run_touches_however_the_clock_falls() -> None:
    # The run that failed: 16.2 s with lines at 14.8 s and 20.0 s past the minute.
    minute = 60 * 29_000_000
    assert len(clock_windows(minute + 3.8, minute + 20.0)) == 2
    assert len(clock_windows(minute + 0.0, minute + 19.99)) == 1
    assert len(clock_windows(minute + 19.99, minute + 40.0)) == 3

"""At least once through a crash, on every broker: three replicas of a generated
service (`faststream run`) take orders published in bursts, so that each holds a
backlog; one is killed with SIGKILL mid-stream. An independent consumer of the
invoices destination (a group of its own) counts what was invoiced.

- Restarted in place (same host name, so the same `CONSUMER_NAME` or MQTT client id):
  every order is invoiced at least once, on all six brokers.
- Never restarted: the survivors take over on RabbitMQ (the connection's unacknowledged
  messages go back to the queue), Kafka (the partitions move), NATS (redelivery after
  `ACK_WAIT_S`) and Redis (`XAUTOCLAIM` after `CLAIM_IDLE_S`). On MQTT the broker keeps
  what it gave the dead replica in that replica's session, and Mosquitto discards it
  with the session when `SESSION_EXPIRY_S` runs out: those orders are lost, and the
  test shows it.

Redis, NATS and Mosquitto run as private servers; RabbitMQ is the local one (names of
the run's own); Kafka and Confluent use a Tansu broker of their own.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.brokers import KAFKA_PROTOCOL, LOCAL_SERVERS, tansu_server
from tests.faults import (
    Service,
    private_broker,
    project_factory,
    publish,
    run_environment,
    run_script,
)

pytestmark = pytest.mark.generated

REPLICAS = 3
BURSTS, BURST = 3, 100
ORDERS = BURSTS * BURST
# Each message held this long before its handler: bursts pile up into backlogs.
HOLD_S = "0.1"
# Short, so that the test need not wait long for a dead replica's messages.
TAKE_OVER = {"ACK_WAIT_S": "3", "CLAIM_IDLE_S": "3"}
# An MQTT session outlives its replica's restart by its default (120 s); one never
# restarted expires after this.
SESSION_EXPIRY_S = "3"
ALL_INVOICED_TIMEOUT = 150.0
# Where orders are lost, the wait ends once no invoice has come for this long: many
# times an order's HOLD_S, however fast the survivors work through the rest.
SETTLE_S = 5.0
PRIVATE = ("redis", "nats", "mqtt")


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A project per broker; spans to the console, which nobody reads here."""
    return project_factory(tmp_path_factory, "console", "none")


@contextmanager
def broker_url(broker: str, data_dir: Path) -> Iterator[str]:
    if broker in PRIVATE:
        with private_broker(broker, data_dir) as private:
            yield private.url
    elif broker in KAFKA_PROTOCOL:
        with tansu_server() as url:
            yield url
    else:
        yield LOCAL_SERVERS[broker]


def prepare(broker: str, project: Path, environment: dict[str, str]) -> None:
    """Kafka shares work by partition: a partition per replica."""
    if broker in KAFKA_PROTOCOL:
        topics = [environment["ORDERS_TOPIC"], environment["INVOICES_TOPIC"]]
        run_script(
            project,
            environment,
            "-c",
            "import asyncio\n"
            f"from tests.integration.{broker}_partitions import create_topics\n"
            f"asyncio.run(create_topics({environment['BROKER_URL']!r}, {topics!r}, "
            f"{REPLICAS}))",
        )


def clean_up(broker: str, project: Path, environment: dict[str, str]) -> None:
    """The shared RabbitMQ keeps the run's durable queues: remove them."""
    if broker == "rabbit":
        topics = [environment["ORDERS_TOPIC"], environment["INVOICES_TOPIC"]]
        run_script(
            project,
            environment,
            "-c",
            "import asyncio\n"
            "from faststream.rabbit import RabbitBroker\n"
            "from tests.integration.cleanup import remove_destinations\n"
            "async def main():\n"
            f"    async with RabbitBroker({environment['BROKER_URL']!r}) as broker:\n"
            f"        await remove_destinations(broker, {topics!r}, "
            f"{environment['CONSUMER_GROUP']!r})\n"
            "asyncio.run(main())",
        )


def counted(counter: Service) -> Counter[str]:
    return Counter(
        line.split()[1] for line in list(counter.lines) if line.startswith("counted ")
    )


def wait_for_count(
    counter: Service, orders: set[str], settle_s: float | None = None
) -> None:
    """Until every one of `orders` is counted, or (given `settle_s`) the count has not
    grown for that long: what is still missing then is lost. At most
    ALL_INVOICED_TIMEOUT either way."""
    deadline = time.monotonic() + ALL_INVOICED_TIMEOUT
    seen, grown = 0, time.monotonic()
    while not orders <= set(counted(counter)) and time.monotonic() < deadline:
        if (now := len(counted(counter))) != seen:
            seen, grown = now, time.monotonic()
        elif settle_s is not None and time.monotonic() - grown > settle_s:
            return
        time.sleep(0.2)


def replica_environment(base: dict[str, str], number: int) -> dict[str, str]:
    # One host runs them all; pods would each have a host name of their own.
    name = f"{base['CONSUMER_GROUP']}-replica-{number}"
    return {**base, "CONSUMER_NAME": name, "MQTT_CLIENT_ID": name}


def kill_one_mid_stream(
    broker: str,
    restart: bool,
    project: Path,
    tmp_path: Path,
    settle_s: float | None = None,
) -> tuple[set[str], Counter[str], Service]:
    """Run the scenario; what was sent, what the counter counted, and the replica
    that was killed."""
    run = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        url = stack.enter_context(broker_url(broker, tmp_path))
        environment = run_environment(
            url,
            "crash",
            run,
            HOLD_S=HOLD_S,
            **TAKE_OVER,
            **({} if restart else {"SESSION_EXPIRY_S": SESSION_EXPIRY_S}),
        )
        prepare(broker, project, environment)
        stack.callback(clean_up, broker, project, environment)
        replicas: list[Service] = []
        stack.callback(lambda: [replica.kill() for replica in replicas])
        for number in range(REPLICAS):
            replicas.append(Service(project, replica_environment(environment, number)))
        counter = Service(project, environment, app="fault_count:app")
        stack.callback(counter.kill)

        sent: set[str] = set()
        victim = replicas[0]
        for burst in range(BURSTS):
            publish(project, environment, burst * BURST, BURST)
            sent |= {f"order-{n}" for n in range(burst * BURST, (burst + 1) * BURST)}
            if burst == 0:
                # Mid-stream: the victim has handled some and holds more.
                victim.wait_for_line("priced order", 60, times=10)
                victim.kill()
                if restart:
                    replicas.append(Service(project, victim.environment))
        wait_for_count(counter, sent, settle_s)
        invoices = counted(counter)
    print(
        f"{broker} {'restarted' if restart else 'not restarted'}: {len(sent)} orders,"
        f" {len(set(invoices) & sent)} invoiced,"
        f" {sum(n - 1 for n in invoices.values())} duplicates,"
        f" {len(sent - set(invoices))} never invoiced;"
        f" the killed replica had priced {victim.count('priced order')}"
    )
    return sent, invoices, victim


@pytest.mark.parametrize("broker", ["kafka", "confluent", "rabbit", *PRIVATE])
def test_a_replica_killed_and_restarted_in_place_loses_no_order(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    sent, invoices, victim = kill_one_mid_stream(
        broker, True, projects(broker), tmp_path
    )
    assert victim.count("priced order") < ORDERS / REPLICAS, "killed mid-stream"
    assert sent - set(invoices) == set()


@pytest.mark.parametrize("broker", ["kafka", "confluent", "rabbit", "redis", "nats"])
def test_the_survivors_take_over_a_replica_killed_for_good(
    broker: str, projects: Callable[[str], Path], tmp_path: Path
) -> None:
    sent, invoices, victim = kill_one_mid_stream(
        broker, False, projects(broker), tmp_path
    )
    assert victim.count("priced order") < ORDERS / REPLICAS, "killed mid-stream"
    assert sent - set(invoices) == set()


def test_mqtt_loses_what_a_replica_killed_for_good_was_given(
    projects: Callable[[str], Path], tmp_path: Path
) -> None:
    """Mosquitto keeps the dead replica's session, with what it had been given and
    the share of new messages it goes on being given, until SESSION_EXPIRY_S; then
    drops them. The survivors never see them."""
    # Until the survivors have finished the rest (no invoice for SETTLE_S), however
    # long that takes on this machine.
    sent, invoices, _ = kill_one_mid_stream(
        "mqtt", False, projects("mqtt"), tmp_path, settle_s=SETTLE_S
    )
    lost = sent - set(invoices)
    assert lost, "a replica that never came back left nothing in its session"
    assert len(lost) < len(sent) / 2, "the survivors handled their share"

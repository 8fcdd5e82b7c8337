"""What the fault tests drive: a generated service run as users run it
(`faststream run`), brokers private to a test (so they can be stopped and started
again without touching the shared ones), and a Zipkin endpoint that counts the spans
it receives.

The service is the generated app itself, started through a small module written into
the project (`fault_runner.py`) that adds one middleware: each message is held
`HOLD_S` seconds before its handler runs, so a test can stop something while a
message is in flight. Nothing of it is shipped to users.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.brokers import free_port, mosquitto_config, wait_until_listening
from tests.combinations import Combination
from tests.projects import generate, install
from tests.template import BROKER_TABLE, TEMPLATE_DIR

RUNNER = '''\
"""The service, with each message held HOLD_S seconds before its handler runs."""

import asyncio
import logging
import os
from typing import Any

from faststream import BaseMiddleware

from {package}.app import app, broker

HOLD_S = float(os.environ.get("HOLD_S", "0"))
logger = logging.getLogger("fault_runner")


class Hold(BaseMiddleware):
    async def consume_scope(self, call_next: Any, msg: Any) -> Any:
        logger.info("holding a message for %s s", HOLD_S)
        await asyncio.sleep(HOLD_S)
        return await call_next(msg)


broker.add_middleware(Hold)
__all__ = ["app"]
'''

PUBLISHER = '''\
"""Publish orders FIRST..FIRST+COUNT-1 to the service's broker, untraced."""

import asyncio
import sys

from {module} import {broker_class}

from {package}.topology import address, settings
from tests.messages import ORDER


async def main(first: int, count: int) -> None:
    broker = {broker_class}(settings.broker_url)
    await broker.connect()
    for number in range(first, first + count):
        order = {{**ORDER, "order_id": f"order-{{number}}"}}
        await broker.publish(order, **address(settings.orders_topic))
    await broker.stop()


asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
'''


COUNTER = '''\
"""Count the invoices on INVOICES_TOPIC, as another service reading them would: a
group (or queue, or subscription) of its own, COUNT_GROUP. One line per invoice."""

import os
from typing import Any

from faststream import FastStream
from {module} import {broker_class}
{counter_import}
from {package}.topology import settings

GROUP = os.environ["COUNT_GROUP"]
broker = {broker_class}(settings.broker_url)


@broker.subscriber({counter_subscription})
async def count(invoice: dict[str, Any]) -> None:
    print("counted", invoice["order_id"], flush=True)


app = FastStream(broker)
'''

# How the counter reads the invoices on each broker, beside the service's own group.
COUNTER_SUBSCRIPTIONS = {
    "kafka": (
        "",
        'settings.invoices_topic, group_id=GROUP, auto_offset_reset="earliest"',
    ),
    "rabbit": (
        "from faststream.rabbit import RabbitQueue",
        "RabbitQueue(GROUP, auto_delete=True, routing_key=settings.invoices_topic), "
        'exchange="amq.direct"',
    ),
    "nats": (
        "from faststream.nats import JStream, PullSub",
        "settings.invoices_topic, stream=JStream(settings.stream_name, declare=False), "
        "durable=GROUP, pull_sub=PullSub(batch_size=10)",
    ),
    "redis": (
        "from faststream.redis import StreamSub",
        'stream=StreamSub(settings.invoices_topic, group=GROUP, consumer="counter")',
    ),
    "mqtt": (
        "from faststream.mqtt import QoS",
        "settings.invoices_topic, qos=QoS.AT_LEAST_ONCE",
    ),
}
COUNTER_SUBSCRIPTIONS["confluent"] = COUNTER_SUBSCRIPTIONS["kafka"]


def write_scripts(project: Path, package: str, broker: str) -> None:
    """The runner, the publisher and the invoice counter, for this project's
    broker."""
    table = BROKER_TABLE[broker]
    counter_import, counter_subscription = COUNTER_SUBSCRIPTIONS[broker]
    names = {
        "package": package,
        "module": table["module"],
        "broker_class": table["broker_class"],
        "counter_import": counter_import,
        "counter_subscription": counter_subscription,
    }
    for name, text in [
        ("fault_runner.py", RUNNER),
        ("fault_publish.py", PUBLISHER),
        ("fault_count.py", COUNTER),
    ]:
        (project / name).write_text(text.format(**names))


def project_environment(**extra: str) -> dict[str, str]:
    """The environment a project's processes get: ours without OTEL_* and virtualenv
    settings, plus `extra`."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"))
    }
    return {**inherited, **extra}


def run_environment(url: str, kind: str, run: str, **extra: str) -> dict[str, str]:
    """`project_environment` for one test run at BROKER_URL `url`: destinations,
    group and stream named after the run, the invoice counter's group, no spans."""
    return project_environment(
        BROKER_URL=url,
        ORDERS_TOPIC=f"orders-{run}",
        INVOICES_TOPIC=f"invoices-{run}",
        CONSUMER_GROUP=f"{kind}-{run}",
        STREAM_NAME=f"{kind}-{run}",
        COUNT_GROUP=f"count-{run}",
        OTEL_SDK_DISABLED="true",
        **extra,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.05)


class BrokerServer:
    """A broker process of our own on a free port, which a test may stop and start
    again on the same port (and data directory)."""

    def __init__(
        self, command: Callable[[int], list[str]], name: str, log: Path | None = None
    ) -> None:
        self.port = free_port()
        self.log = log
        self._command = command
        self._name = name
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it; its output, if kept, goes to `log`, written afresh."""
        with open(self.log or os.devnull, "wb") as output:
            self._process = subprocess.Popen(
                self._command(self.port), stdout=output, stderr=subprocess.STDOUT
            )
        wait_until_listening(self.port, self._process, self._name)

    def stop(self) -> None:
        """A clean stop (SIGTERM), as an orchestrator restarting it would do."""
        assert self._process is not None
        self._process.terminate()
        self._process.wait(timeout=30)
        self._process = None


@contextmanager
def running(server: BrokerServer) -> Iterator[BrokerServer]:
    server.start()
    try:
        yield server
    finally:
        if server._process is not None:
            server.stop()


def redis_server(data_dir: Path) -> BrokerServer:
    """Redis with an append-only file, so streams and consumer groups outlive a
    restart, as they do in any Redis that keeps data."""
    return BrokerServer(
        lambda port: [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--dir",
            str(data_dir),
        ],
        "redis-server",
    )


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[BrokerServer]:
    """A Redis of the test's own, to stop, pause or restart under a running service."""
    with running(redis_server(tmp_path)) as server:
        yield server


def nats_server(data_dir: Path, monitor_port: int) -> BrokerServer:
    return BrokerServer(
        lambda port: [
            "nats-server",
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(monitor_port),
            "-js",
            "-sd",
            str(data_dir),
        ],
        "nats-server",
    )


def mosquitto(data_dir: Path) -> BrokerServer:
    """Mosquitto configured as the compose stack's, verbose: its log says when a
    client subscribes."""
    return BrokerServer(
        lambda port: ["mosquitto", "-c", str(mosquitto_config(port, data_dir)), "-v"],
        "mosquitto",
        log=data_dir / "mosquitto.log",
    )


class PrivateBroker:
    """A private server for `broker` and how the service reaches it."""

    def __init__(self, broker: str, data_dir: Path) -> None:
        self.broker = broker
        self.monitor_port = free_port()
        servers = {
            "redis": lambda: redis_server(data_dir),
            "nats": lambda: nats_server(data_dir, self.monitor_port),
            "mqtt": lambda: mosquitto(data_dir),
        }
        self.server: BrokerServer = servers[broker]()

    @property
    def url(self) -> str:
        return f"{self.broker}://127.0.0.1:{self.server.port}"

    def jetstream_consumers(self) -> int:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.monitor_port}/jsz", timeout=5
        ) as reply:
            return int(json.load(reply).get("consumers", 0))

    def mqtt_subscribed(self, topic: str) -> bool:
        assert self.server.log is not None
        return topic in self.server.log.read_text(errors="replace")

    def wait_for_consumers(self, environment: dict[str, str]) -> None:
        """Wait until the service has subscribed (again): MQTT keeps no message for a
        topic nobody subscribes to, and a JetStream stream takes messages only once
        it is back after a restart. Redis Streams keep them."""
        if self.broker == "nats":
            wait_for(lambda: self.jetstream_consumers() >= 2, 60, "the consumers")
        elif self.broker == "mqtt":
            topic = (
                f"$share/{environment['CONSUMER_GROUP']}/{environment['ORDERS_TOPIC']}"
            )
            wait_for(
                lambda: self.mqtt_subscribed(topic), 60, f"a subscriber to {topic}"
            )


@contextmanager
def private_broker(broker: str, data_dir: Path) -> Iterator[PrivateBroker]:
    private = PrivateBroker(broker, data_dir)
    with running(private.server):
        yield private


def _generated_http_receiver() -> ModuleType:
    """The generated projects' own test receiver (`tests/http_receiver.py`, plain
    Python in the template), loaded from the template."""
    path = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "tests" / "http_receiver.py"
    spec = importlib.util.spec_from_file_location("generated_http_receiver", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class ZipkinEndpoint:
    """Zipkin's span API on a free port: the spans POSTed to `url` (JSON v2)."""

    url: str
    receiver: Any

    @property
    def spans(self) -> list[dict[str, Any]]:
        return [
            span
            for request in list(self.receiver.requests)
            for span in json.loads(request.body)
        ]

    def names(self) -> Counter[str]:
        """Span names, without the test run's suffix: `orders-1a2b3c4d process` is
        counted as `orders process`."""
        return Counter(
            re.sub(r"-[0-9a-f]{8} ", " ", span["name"]) for span in self.spans
        )

    def order_ids(self) -> Counter[str]:
        return Counter(
            span["tags"]["app.order.id"]
            for span in self.spans
            if "app.order.id" in span.get("tags", {})
        )


@contextmanager
def unresponsive_endpoint() -> Iterator[str]:
    """A Zipkin URL whose server takes connections and never answers: a collector
    that hangs, or a network that drops packets. Each export waits its timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1024)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v2/spans"


@contextmanager
def zipkin_endpoint() -> Iterator[ZipkinEndpoint]:
    receiver_module = _generated_http_receiver()
    with receiver_module.http_receiver(202, b"", "application/json") as receiver:
        yield ZipkinEndpoint(f"http://127.0.0.1:{receiver.port}/api/v2/spans", receiver)


# uvicorn, which serves the app's HTTP endpoints, stops the app gracefully on SIGTERM
# and then raises the signal again, so that whoever sent it sees the process end by
# it: a clean stop's exit status (143 in a shell, what orchestrators expect).
STOPPED_BY_SIGTERM = -signal.SIGTERM


class Service:
    """`faststream run fault_runner:app` in the project (or `app` with `arguments`),
    its log lines collected."""

    def __init__(
        self,
        project: Path,
        environment: dict[str, str],
        app: str = "fault_runner:app",
        arguments: tuple[str, ...] = (),
    ) -> None:
        self.lines: list[str] = []
        # Its HTTP endpoints on a port of its own, unless `arguments` say otherwise.
        self.http_port = free_port()
        if "--port" not in arguments:
            arguments = (*arguments, "--port", str(self.http_port))
            environment = {**environment, "HTTP_PORT": str(self.http_port)}
        self.environment = environment
        self.process = subprocess.Popen(
            [str(project / ".venv" / "bin" / "faststream"), "run", app, *arguments],
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for_line("started successfully", timeout=120)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))

    def log(self) -> str:
        return "\n".join(self.lines[-60:])

    def wait_for_line(self, text: str, timeout: float, times: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.count(text) < times:
            if self.process.poll() is not None:
                pytest.fail(f"the service exited waiting for {text!r}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {text!r} x{times} in {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def terminate(self, timeout: float = 60) -> float:
        """SIGTERM, as an orchestrator stops a container; seconds until it exited."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return time.monotonic() - started

    def resident_kib(self) -> int:
        """The service's resident memory (VmRSS), in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def kill(self) -> None:
        """SIGKILL, as a crash or the out-of-memory killer: nothing is finished."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


# The fault tests' projects run on the oldest Python the template offers.
PYTHON = "3.11"


def project_factory(
    tmp_path_factory: pytest.TempPathFactory, exporter: str, backend: str
) -> Callable[[str], Path]:
    """A generated project per broker with the fault scripts written into it, made
    and installed on first use (a module's fixture keeps one per worker)."""
    made: dict[str, Path] = {}

    def project(broker: str) -> Path:
        if broker not in made:
            output = tmp_path_factory.mktemp(f"{broker}-{exporter}")
            path = generate(output, Combination(broker, exporter, backend, PYTHON))
            install(path, PYTHON)
            write_scripts(path, path.name.replace("-", "_"), broker)
            made[broker] = path
        return made[broker]

    return project


def run_script(
    project: Path, environment: dict[str, str], *arguments: str, timeout: float = 60
) -> None:
    """`python ARGUMENTS` with the project's interpreter, in the project."""
    result = subprocess.run(
        [str(project / ".venv" / "bin" / "python"), *arguments],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def publish(
    project: Path,
    environment: dict[str, str],
    first: int,
    count: int,
    timeout: float = 60,
) -> None:
    run_script(
        project,
        environment,
        "fault_publish.py",
        str(first),
        str(count),
        timeout=timeout,
    )

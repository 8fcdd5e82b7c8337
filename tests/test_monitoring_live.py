"""The health and metrics endpoints of a generated service run as users run it
(`faststream run`), on real servers: a Redis of its own, which a test may stop,
freeze and start again, and a real Prometheus scraping the service. Every query of
the shipped dashboard is run through Prometheus's HTTP API and must return data.

Redis, because a private one is cheap to start and stop: the endpoints are the same
code for every broker (only `broker.ping` differs), and the metrics' names and labels
come from FastStream's telemetry middleware, which is shared by all of them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.brokers import free_port, wait_until_listening
from tests.combinations import Combination
from tests.faults import (
    BrokerServer,
    Service,
    project_environment,
    publish,
    run_script,
    wait_for,
    write_scripts,
    zipkin_endpoint,
)
from tests.projects import generate, install

pytestmark = pytest.mark.generated

MALFORMED = """\
import asyncio
import sys

from faststream.redis import RedisBroker

from {package}.topology import address, settings


async def main(count: int) -> None:
    broker = RedisBroker(settings.broker_url)
    await broker.connect()
    for number in range(count):
        order = {{"order_id": f"bad-{{number}}"}}  # no items: the handler refuses it
        await broker.publish(order, **address(settings.orders_topic))
    await broker.stop()


asyncio.run(main(int(sys.argv[1])))
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = generate(
        tmp_path_factory.mktemp("monitoring"),
        Combination("redis", "zipkin", "none", "3.11"),
    )
    install(path, "3.11")
    package = path.name.replace("-", "_")
    write_scripts(path, package, "redis")
    (path / "publish_malformed.py").write_text(MALFORMED.format(package=package))
    return path


@pytest.fixture
def environment(private_redis: BrokerServer) -> Iterator[dict[str, str]]:
    run = uuid.uuid4().hex[:8]
    with zipkin_endpoint() as spans:
        yield project_environment(
            BROKER_URL=f"redis://127.0.0.1:{private_redis.port}",
            ORDERS_TOPIC=f"orders-{run}",
            INVOICES_TOPIC=f"invoices-{run}",
            CONSUMER_GROUP=f"monitoring-{run}",
            OTEL_EXPORTER_ZIPKIN_ENDPOINT=spans.url,
        )


def get(port: int, path: str, timeout: float = 10) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}{path}", timeout=timeout
        ) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def answers(port: int, path: str) -> bool:
    try:
        return get(port, path)[0] == 204
    except OSError:  # not listening yet
        return False


def app_target(project: Path) -> str:
    return f"{project.name.replace('-', '_')}.app:app"


@pytest.fixture
def service(
    project: Path, environment: dict[str, str]
) -> Iterator[Callable[..., Service]]:
    started: list[Service] = []

    def start(**extra: str) -> Service:
        started.append(Service(project, {**environment, **extra}, app_target(project)))
        return started[-1]

    yield start
    for each in started:
        each.kill()


# Grafana's variables, as "All" (or the window Grafana would pick) would set them.
MATCH_ALL = {"$instance": ".*", "$__rate_interval": "1m"}


def dashboard_queries(project: Path) -> list[tuple[str, str]]:
    dashboard = json.loads(
        (project / "compose" / "grafana" / "faststream.json").read_text()
    )
    queries = []
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in MATCH_ALL.items():
                expr = expr.replace(variable, value)
            queries.append((panel["title"], expr))
    return queries


class Prometheus:
    """A real Prometheus on a free port, scraping `targets` every second as job
    `app` (the job the dashboard and the alerts ask for), with the shipped rules."""

    def __init__(self, directory: Path, targets: list[str], rules: Path) -> None:
        self.port = free_port()
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [
                {"job_name": "app", "static_configs": [{"targets": targets}]}
            ],
        }
        (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = directory / "prometheus.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    "prometheus",
                    f"--config.file={directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        wait_until_listening(self.port, self.process, "prometheus")

    def api(self, path: str, **parameters: str) -> object:
        query = urllib.parse.urlencode(parameters)
        status, body = get(self.port, f"/api/v1/{path}?{query}")
        assert status == 200, body
        return json.loads(body)["data"]

    def query(self, expr: str) -> list[dict[str, object]]:
        data = self.api("query", query=expr)
        assert isinstance(data, dict)
        return list(data["result"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def count(prometheus: Prometheus, expr: str) -> float:
    return sum(float(sample["value"][1]) for sample in prometheus.query(expr))


def panels_without_data(prometheus: Prometheus, project: Path) -> list[str]:
    """The dashboard's queries that return nothing above zero, with what they return."""
    empty = []
    for title, expr in dashboard_queries(project):
        result = prometheus.query(expr)
        values = [float(sample["value"][1]) for sample in result]
        if not [value for value in values if value == value and value > 0]:
            empty.append(f"{title}: {expr} -> {result}")
    return empty


def rule_health(prometheus: Prometheus) -> list[str]:
    """Each loaded rule's health: `ok` once evaluated without error."""
    rules = prometheus.api("rules")
    assert isinstance(rules, dict)
    return [rule["health"] for group in rules["groups"] for rule in group["rules"]]


def test_every_dashboard_query_returns_data_from_a_scraped_service(
    project: Path,
    environment: dict[str, str],
    service: Callable[..., Service],
    tmp_path: Path,
) -> None:
    app = service()
    prometheus = Prometheus(
        tmp_path,
        [f"127.0.0.1:{app.http_port}"],
        project / "compose" / "prometheus" / "alerts.yml",
    )
    try:
        processed = "sum(messaging_process_duration_seconds_count)"
        # Two rounds of traffic, scraped apart, so every rate has an increase.
        for first in (0, 20):
            publish(project, environment, first, 20)
            run_script(project, environment, "publish_malformed.py", "3")
            target = (first + 20) * 2 + (first // 20 + 1) * 3
            wait_for(
                lambda t=target: count(prometheus, processed) >= t,
                60,
                f"{target} messages processed, as Prometheus sees it",
            )
        # Rates follow a scrape or two behind, rules an evaluation (later on a busy
        # machine): wait for them, rather than for a fixed time.
        deadline = time.monotonic() + 60
        while True:
            empty = panels_without_data(prometheus, project)
            health = rule_health(prometheus)
            if (not empty and set(health) == {"ok"}) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert not empty, "\n".join(empty)
        # The Replica variable: the instances of the scraped (or pushed) metrics.
        instances = prometheus.api(
            "label/instance/values",
            **{"match[]": "messaging_process_duration_seconds_count"},
        )
        assert instances == [f"127.0.0.1:{app.http_port}"]
        assert health == ["ok"] * 4, health
    finally:
        prometheus.stop()
    # Probes every second and scrapes every second: not a line each.
    assert not [line for line in app.lines if "GET /" in line]


def test_ready_follows_the_broker_through_a_stop_a_freeze_and_a_restart(
    private_redis: BrokerServer, service: Callable[..., Service]
) -> None:
    app = service()
    port = app.http_port
    assert get(port, "/health/ready") == (204, "")
    assert get(port, "/health/live") == (204, "")

    private_redis.stop()
    wait_for(lambda: get(port, "/health/ready")[0] == 503, 120, "not ready")
    assert (
        get(port, "/health/ready")[1] == "not ready: no answer from the broker in 1.0 s"
    )
    # The subscribers retry their reads: alive, not to be restarted.
    assert get(port, "/health/live") == (204, "")

    private_redis.start()
    wait_for(lambda: get(port, "/health/ready")[0] == 204, 60, "ready again")
    app.wait_for_line("ready again: the broker answers", timeout=10)

    # A broker that takes connections and never answers (its process frozen): the
    # probe does not hang with it, it answers 503 once the ping times out.
    assert private_redis._process is not None
    private_redis._process.send_signal(signal.SIGSTOP)
    try:
        assert get(port, "/health/ready", timeout=30)[0] == 503
        assert get(port, "/health/live") == (204, "")
    finally:
        private_redis._process.send_signal(signal.SIGCONT)
    wait_for(lambda: get(port, "/health/ready")[0] == 204, 60, "ready after thaw")
    assert app.count("not ready: no answer from the broker") == 2  # once an outage


def test_the_image_command_serves_on_http_port(
    project: Path, environment: dict[str, str]
) -> None:
    """The Dockerfile's CMD, run as the image runs it (its shell reads HTTP_PORT)."""
    dockerfile = (project / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    (healthcheck,) = re.findall(r"^    CMD (\[.*\])$", dockerfile, re.MULTILINE)
    port = free_port()
    venv = {
        **environment,
        "HTTP_PORT": str(port),
        "PATH": f"{project / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        json.loads(cmd),
        cwd=project,
        env=venv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: answers(port, "/health/live"), 120, "live on HTTP_PORT")
        check = subprocess.run(json.loads(healthcheck), env=venv, check=False)
        assert check.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=30)
    # And the HEALTHCHECK fails once nothing answers.
    assert (
        subprocess.run(
            json.loads(healthcheck), env=venv, check=False, capture_output=True
        ).returncode
        != 0
    )
    assert shlex.split(json.loads(cmd)[-1])[-2:] == ["--port", "$HTTP_PORT"]


def run_until_exit(
    project: Path, environment: dict[str, str], port: int, **extra: str
) -> tuple[int, str]:
    """`faststream run` of the app on `port`, expected to stop by itself: its exit
    status and output."""
    result = subprocess.run(
        [
            str(project / ".venv" / "bin" / "faststream"),
            "run",
            app_target(project),
            "--port",
            str(port),
        ],
        cwd=project,
        env={**environment, "HTTP_PORT": str(port), **extra},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_a_taken_http_port_stops_the_service_with_uvicorn_saying_why(
    project: Path, environment: dict[str, str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, output = run_until_exit(project, environment, taken.getsockname()[1])

    assert status != 0, output[-3000:]
    assert "address already in use" in output, output[-3000:]


def test_a_port_other_than_http_port_is_refused_at_start(
    project: Path, environment: dict[str, str]
) -> None:
    port = free_port()
    status, output = run_until_exit(project, environment, port, HTTP_PORT="8000")

    assert status != 0, output[-3000:]
    assert f"HTTP_PORT is 8000 but the endpoints would be served on {port}" in output


def test_an_unknown_metrics_exporter_stops_the_service_saying_which_it_takes(
    project: Path, environment: dict[str, str]
) -> None:
    status, output = run_until_exit(
        project, environment, free_port(), OTEL_METRICS_EXPORTER="otlpp"
    )

    assert status == 2, output[-3000:]
    assert (
        "OTEL_METRICS_EXPORTER='otlpp': otlpp unknown here; use prometheus or none"
        in output
    )
    assert "Traceback" not in output

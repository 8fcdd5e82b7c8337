"""How much later a generated service is ready than the plainest FastStream app and
FastStream's documented setup, and how much more memory it holds:
`uv run python -m benchmarks.startup`.

All three run under `faststream run` with the generated project's interpreter,
against the same real broker (the one the integration tests use; a Tansu broker it
starts for Kafka and Confluent), alternately: the generated service
(`<package>.app:app`) and a plain app with the same two handlers on the same broker,
without telemetry, settings or logging setup; and that plain app wired for tracing
and metrics as FastStream's OpenTelemetry and Prometheus pages show ("documented":
its telemetry middleware, a `TracerProvider`, a `BatchSpanProcessor` with the
project's own exporter; its `<Broker>PrometheusMiddleware` and `/metrics` through
prometheus_client), so that what the template adds beyond the signals themselves
stands apart. A run is ready when FastStream logs "FastStream app started
successfully", after its subscribers have started; its memory is the process's
resident set size at that moment. The service is stopped with SIGTERM after each run.

Prints medians, not a verdict: they depend on the machine and on what else it runs.
`--project DIR` measures an already installed project instead of generating one.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import NamedTuple

from tests.brokers import KAFKA_PROTOCOL, LOCAL_SERVERS, tansu_server
from tests.combinations import Combination
from tests.projects import generate, install
from tests.template import BROKERS, CONTEXT, TEMPLATE_DIR

READY = "FastStream app started successfully"
PYTHON = CONTEXT["python_version"][0]  # the template's default

BARE_APP = '''\
"""FastStream's documented setup: one broker, the two handlers{what}."""

import os
from decimal import Decimal

from {app_import}
from {module} import {broker_class}
from pydantic import BaseModel
{tracing}

class LineItem(BaseModel):
    sku: str
    quantity: int
    unit_price: Decimal


class Order(BaseModel):
    order_id: str
    customer_id: str
    items: list[LineItem]


class Invoice(BaseModel):
    order_id: str
    customer_id: str
    item_count: int
    total: Decimal


broker = {broker_class}(os.environ["BROKER_URL"]{middlewares})
app = {app}


@broker.subscriber(os.environ["ORDERS_TOPIC"])
@broker.publisher(os.environ["INVOICES_TOPIC"])
async def price_order(order: Order) -> Invoice:
    return Invoice(
        order_id=order.order_id,
        customer_id=order.customer_id,
        item_count=sum(item.quantity for item in order.items),
        total=sum((item.quantity * item.unit_price for item in order.items), Decimal()),
    )


@broker.subscriber(os.environ["INVOICES_TOPIC"])
async def dispatch_invoice(invoice: Invoice) -> None:
    pass
'''


TRACING = """from {middleware_module} import {middleware_class}
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, make_asgi_app
from {prometheus_module} import {prometheus_class}

from {package}.exporters.{exporter_module} import build_span_exporter

provider = TracerProvider(resource=Resource.create({{SERVICE_NAME: "documented"}}))
provider.add_span_processor(BatchSpanProcessor(build_span_exporter()))
registry = CollectorRegistry()
"""


def write_apps(directory: Path, broker: str, project: Path) -> None:
    """`plain_service.py` and `documented_service.py`, for `faststream run`."""
    spec = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_brokers"]
    names = {
        "module": spec[broker]["module"],
        "broker_class": spec[broker]["broker_class"],
    }
    package = project.name.replace("-", "_")
    (exporter,) = (
        path.stem
        for path in (project / "src" / package / "exporters").glob("*.py")
        if path.stem != "__init__"
    )
    prometheus_class = spec[broker]["middleware_class"].replace(
        "Telemetry", "Prometheus"
    )
    tracing = TRACING.format(
        middleware_module=spec[broker]["middleware_module"],
        middleware_class=spec[broker]["middleware_class"],
        prometheus_module=f"{spec[broker]['module']}.prometheus",
        prometheus_class=prometheus_class,
        package=package,
        exporter_module=exporter,
    )
    middlewares = (
        f"{prometheus_class}(registry=registry), "
        f"{spec[broker]['middleware_class']}(tracer_provider=provider)"
    )
    (directory / "plain_service.py").write_text(
        BARE_APP.format(
            **names,
            what=", nothing else",
            app_import="faststream import FastStream",
            tracing="",
            middlewares="",
            app="FastStream(broker)",
        )
    )
    (directory / "documented_service.py").write_text(
        BARE_APP.format(
            **names,
            what=", traced and measured as its OpenTelemetry and Prometheus pages show",
            app_import="faststream.asgi import AsgiFastStream",
            tracing=tracing,
            middlewares=f", middlewares=[{middlewares}]",
            app='AsgiFastStream(broker, asgi_routes=[("/metrics", '
            "make_asgi_app(registry))])",
        )
    )


class Sample(NamedTuple):
    ready_s: float
    cpu_s: float
    memory_mb: float


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """User and system time the process has used (on a busy machine, a steadier
    measure of its own work than the time it took)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(after_name[11]), int(after_name[12])
    return (user + system) / os.sysconf("SC_CLK_TCK")


def start_once(
    faststream: Path, target: str, cwd: Path, environment: dict[str, str]
) -> Sample:
    """Seconds from launch until ready, CPU seconds and megabytes resident then."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(faststream), "run", target],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        output = []
        for line in process.stdout:
            output.append(line)
            if READY in line:
                ready_s = time.perf_counter() - started
                return Sample(ready_s, cpu_s(process.pid), resident_mb(process.pid))
        raise RuntimeError(f"{target} never got ready:\n{''.join(output)[-3000:]}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def environment_for(url: str) -> dict[str, str]:
    """The broker's server, and destinations no one else uses."""
    run = uuid.uuid4().hex[:8]
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "VIRTUAL_ENV", "UV_", "PYTHON"))
    }
    return {
        **inherited,
        "BROKER_URL": url,
        "ORDERS_TOPIC": f"startup-orders-{run}",
        "INVOICES_TOPIC": f"startup-invoices-{run}",
        "CONSUMER_GROUP": f"startup-{run}",
    }


def measure(
    project: Path, broker: str, url: str, runs: int, workdir: Path
) -> dict[str, list[Sample]]:
    write_apps(workdir, broker, project)
    faststream = project / ".venv" / "bin" / "faststream"
    package = project.name.replace("-", "_")
    environment = environment_for(url)
    targets = {
        "plain": ("plain_service:app", workdir),
        "documented": ("documented_service:app", workdir),
        "generated": (f"{package}.app:app", project),
    }
    results: dict[str, list[Sample]] = {name: [] for name in targets}
    for _ in range(runs):  # in turn, so that load on the machine hits each alike
        for name, (target, directory) in targets.items():
            results[name].append(start_once(faststream, target, directory, environment))
    return results


def median(samples: list[Sample]) -> Sample:
    return Sample(*(statistics.median(values) for values in zip(*samples, strict=True)))


def describe(sample: Sample) -> str:
    return (
        f"ready in {sample.ready_s:.2f} s ({sample.cpu_s:.2f} s CPU), "
        f"{sample.memory_mb:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="redis", choices=BROKERS)
    parser.add_argument("--exporter", default="otlp-grpc")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--project", type=Path, help="an installed generated project")
    arguments = parser.parse_args()

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if arguments.broker in KAFKA_PROTOCOL:
            url = stack.enter_context(tansu_server())
        else:
            url = LOCAL_SERVERS[arguments.broker]
        project = arguments.project
        if project is None:
            combination = Combination(
                arguments.broker, arguments.exporter, "none", PYTHON
            )
            project = generate(workdir / "project", combination)
            install(project, PYTHON)
        results = measure(
            project.resolve(), arguments.broker, url, arguments.runs, workdir
        )

    print(f"startup on {arguments.broker}, {arguments.runs} runs each:")
    for name, samples in results.items():
        print(f"  {name}: " + "; ".join(describe(sample) for sample in samples))
    plain = median(results["plain"])
    for name, samples in results.items():
        print(f"{name}, median: {describe(median(samples))}")
    documented = median(results["documented"])
    for name, base, base_name in (
        ("documented", plain, "plain"),
        ("generated", plain, "plain"),
        ("generated", documented, "documented"),
    ):
        extra = median(results[name])
        print(
            f"{name} - {base_name}: {extra.ready_s - base.ready_s:+.2f} s ready, "
            f"{extra.cpu_s - base.cpu_s:+.2f} s CPU, "
            f"{extra.memory_mb - base.memory_mb:+.1f} MB"
        )


if __name__ == "__main__":
    main()

"""How much later a generated service is ready than a bare FastStream app, and how
much more memory it holds: `uv run python -m benchmarks.startup`.

Both run under `faststream run` with the generated project's interpreter, against the
same real local broker (the one the integration tests use), alternately: the
generated service (`<package>.app:app`) and a bare app with the same two handlers on
the same broker, without telemetry, settings or logging setup; and that bare app
wired for tracing as FastStream's OpenTelemetry page shows ("documented": its
middleware, a `TracerProvider`, a `BatchSpanProcessor` with the project's own
exporter), so that what the template adds beyond the exporter stands apart from what
the exporter itself costs. A run is ready when
FastStream logs "FastStream app started successfully", after its subscribers have
started; its memory is the process's resident set size at that moment. The service
is stopped with SIGTERM after each run.

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
from pathlib import Path
from typing import NamedTuple

from tests.brokers import LOCAL_SERVERS
from tests.combinations import Combination
from tests.projects import generate, install
from tests.template import TEMPLATE_DIR

READY = "FastStream app started successfully"
PYTHON = "3.11"

BARE_APP = '''\
"""FastStream's documented setup: one broker, the two handlers{what}."""

import os
from decimal import Decimal

from faststream import FastStream
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
app = FastStream(broker)


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

from {package}.exporters.{exporter_module} import build_span_exporter

provider = TracerProvider(resource=Resource.create({{SERVICE_NAME: "documented"}}))
provider.add_span_processor(BatchSpanProcessor(build_span_exporter()))
"""


def write_apps(directory: Path, broker: str, project: Path) -> None:
    """`bare_service.py` and `documented_service.py`, for `faststream run`."""
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
    tracing = TRACING.format(
        middleware_module=spec[broker]["middleware_module"],
        middleware_class=spec[broker]["middleware_class"],
        package=package,
        exporter_module=exporter,
    )
    middleware = f"{spec[broker]['middleware_class']}(tracer_provider=provider)"
    (directory / "bare_service.py").write_text(
        BARE_APP.format(**names, what=", nothing else", tracing="", middlewares="")
    )
    (directory / "documented_service.py").write_text(
        BARE_APP.format(
            **names,
            what=", traced as its OpenTelemetry page shows",
            tracing=tracing,
            middlewares=f", middlewares=[{middleware}]",
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


def environment_for(broker: str) -> dict[str, str]:
    """The broker's local server, and destinations no one else uses."""
    run = uuid.uuid4().hex[:8]
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "VIRTUAL_ENV", "UV_", "PYTHON"))
    }
    return {
        **inherited,
        "BROKER_URL": LOCAL_SERVERS[broker],
        "ORDERS_TOPIC": f"startup-orders-{run}",
        "INVOICES_TOPIC": f"startup-invoices-{run}",
        "CONSUMER_GROUP": f"startup-{run}",
    }


def measure(
    project: Path, broker: str, runs: int, workdir: Path
) -> dict[str, list[Sample]]:
    write_apps(workdir, broker, project)
    faststream = project / ".venv" / "bin" / "faststream"
    package = project.name.replace("-", "_")
    environment = environment_for(broker)
    targets = {
        "bare": ("bare_service:app", workdir),
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
    parser.add_argument("--broker", default="redis", choices=sorted(LOCAL_SERVERS))
    parser.add_argument("--exporter", default="otlp-grpc")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--project", type=Path, help="an installed generated project")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="startup-") as temporary:
        workdir = Path(temporary)
        project = arguments.project
        if project is None:
            combination = Combination(
                arguments.broker, arguments.exporter, "none", PYTHON
            )
            project = generate(workdir / "project", combination)
            install(project, PYTHON)
        results = measure(project.resolve(), arguments.broker, arguments.runs, workdir)

    print(f"startup on {arguments.broker}, {arguments.runs} runs each:")
    for name, samples in results.items():
        print(f"  {name}: " + "; ".join(describe(sample) for sample in samples))
    bare = median(results["bare"])
    for name, samples in results.items():
        print(f"{name}, median: {describe(median(samples))}")
    for name in ("documented", "generated"):
        extra = median(results[name])
        print(
            f"{name} - bare: {extra.ready_s - bare.ready_s:+.2f} s ready, "
            f"{extra.cpu_s - bare.cpu_s:+.2f} s CPU, "
            f"{extra.memory_mb - bare.memory_mb:+.1f} MB"
        )


if __name__ == "__main__":
    main()

"""What the generated service costs against FastStream's documented setup, broker by
broker: `uv run python -m benchmarks.run`.

For each broker it generates a project (OTLP over gRPC, the template's default
Python), installs it, times its unit suite, and measures the service on a real broker
of that kind (the local servers the integration tests use, and a Tansu broker it
starts for Kafka and Confluent) with `benchmarks/harness.py`, run by the project's
own interpreter. Spans, metrics and log records go over OTLP/gRPC to a local receiver
(`benchmarks/otlp_receiver.py`) that counts them. The modes, each round in a fresh
process, alternating:

- plain: the plainest FastStream app, the same two handlers with FastStream's
  defaults, no telemetry, none of the template's delivery settings, no probes;
- bare: the generated service with `OTEL_SDK_DISABLED=true`;
- template: the generated service with its own defaults, every order traced;
- sampled: the same at 10% (`parentbased_traceidratio`, upstream sampling 10%);
- documented: the generated handlers and topology on a broker wired as FastStream's
  documentation shows for tracing and metrics (its OpenTelemetry middleware,
  `TracerProvider(resource=...)`, `BatchSpanProcessor(OTLPSpanExporter(...))`; its
  `<Broker>PrometheusMiddleware` and `/metrics` through prometheus_client);
- signals: the template mode with all three signals pushed
  (`OTEL_LOGS_EXPORTER=otlp`, `OTEL_METRICS_EXPORTER=otlp`), when the generated
  project pushes logs (it says `OTEL_LOGS_EXPORTER` in its source); else left out,
  and its closing lines say `n/a`;
- `--variant`: the template mode with a candidate default changed (`uvloop`,
  `py3.11`, `py3.12`, `delay=MS`, `batch=N`, `queue=N`, `log=LEVEL`; joined with
  `+`).

Each round waits for a warm-up order to go through before it measures (see the
harness): Kafka's consumer-group join, about 16 s a round, is the benchmark's wait,
not part of what is measured.

Prints figures, not a verdict: they depend on the machine and on what else it runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.brokers import (
    KAFKA_PROTOCOL,
    LOCAL_SERVERS,
    free_port,
    tansu_server,
    wait_until_listening,
)
from tests.combinations import Combination
from tests.projects import generate, install, pytest_counts, uv
from tests.template import CONTEXT

BROKERS = ["kafka", "confluent", "rabbit", "nats", "redis", "mqtt"]
# The template's default Python (the first choice of `python_version`).
PYTHON = CONTEXT["python_version"][0]
HARNESS = Path(__file__).with_name("harness.py")
RECEIVER = Path(__file__).with_name("otlp_receiver.py")
METRICS_COST = Path(__file__).with_name("metrics_cost.py")
PYTEST_SECONDS = re.compile(r" in ([\d.]+)s")
# Spans the service records per sampled order: the order arrives with its context,
# so `orders process`, `invoices publish`, `invoices process`.
SPANS_PER_ORDER = 3
MESSAGES_PER_ORDER = 2  # the order and its invoice
# FastStream's MQTT client buffers 1000 messages a subscription; with FastStream's
# defaults (the plain and documented modes; the template limits Receive Maximum since
# issue 23) a replica holding a larger backlog of orders stalls (docs/performance.md),
# so MQTT rounds stay below it.
BACKLOG_LIMIT = {"mqtt": 800}
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
# The batch processor's variables, by the names `--variant` gives them.
BSP_VARIABLES = {
    "delay": "OTEL_BSP_SCHEDULE_DELAY",
    "batch": "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "queue": "OTEL_BSP_MAX_QUEUE_SIZE",
}


@dataclass(frozen=True)
class Mode:
    name: str
    environment: dict[str, str] = field(default_factory=dict)
    harness_mode: str = "service"  # or "plain", "documented"
    upstream_ratio: float = 1.0
    python: str = PYTHON
    loop: str = "asyncio"

    @property
    def traced(self) -> bool:
        return (
            self.harness_mode != "plain"
            and self.environment.get("OTEL_SDK_DISABLED") != "true"
        )

    @property
    def templated(self) -> bool:
        """The generated service (not FastStream's own setups), traced."""
        return self.harness_mode == "service" and self.traced


MODES = [
    Mode("plain", harness_mode="plain"),
    Mode("bare", {"OTEL_SDK_DISABLED": "true"}),
    Mode("template"),
    Mode(
        "sampled",
        {
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
        upstream_ratio=0.1,
    ),
    Mode("documented", harness_mode="documented"),
]
# All three signals pushed over OTLP: only where the project can push logs.
SIGNALS = Mode(
    "signals", {"OTEL_LOGS_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp"}
)


def variant(spec: str) -> Mode:
    """The template mode with the candidate defaults `spec` names, joined by `+`:
    `uvloop`, `py3.11`, `py3.12`, `delay=1000`, `batch=2048`, `queue=2048`,
    `log=warning` (the service's LOG_LEVEL)."""
    mode = Mode(f"template[{spec}]")
    for atom in spec.split("+"):
        name, _, value = atom.partition("=")
        if atom == "uvloop":
            mode = replace(mode, loop="uvloop")
        elif atom.startswith("py3.") and not value:
            mode = replace(mode, python=atom.removeprefix("py"))
        elif name in BSP_VARIABLES and value.isdigit():
            environment = {**mode.environment, BSP_VARIABLES[name]: value}
            mode = replace(mode, environment=environment)
        elif name == "log" and value.upper() in LOG_LEVELS:
            environment = {**mode.environment, "LOG_LEVEL": value.upper()}
            mode = replace(mode, environment=environment)
        else:
            known = ", ".join(
                ["uvloop", "py3.X", *(f"{v}=N" for v in BSP_VARIABLES), "log=LEVEL"]
            )
            msg = f"unknown variant {atom!r} in {spec!r}; use {known}, joined by +"
            raise argparse.ArgumentTypeError(msg)
    return mode


@dataclass
class Project:
    path: Path
    package: str
    python: Path

    @classmethod
    def prepare(cls, broker: str, python: str, workdir: Path) -> tuple[Project, float]:
        """A generated, installed project; how long generating it took."""
        output = workdir / f"{broker}-py{python}"
        output.mkdir()
        started = time.perf_counter()
        path = generate(output, Combination(broker, "otlp-grpc", "none", python))
        generated = time.perf_counter() - started
        install(path, python)
        package = next((path / "src").iterdir()).name
        return cls(path, package, path / ".venv" / "bin" / "python"), generated

    @property
    def pushes_logs(self) -> bool:
        """Whether the project can push log records over OTLP (issue 21's feature):
        its source reads OTEL_LOGS_EXPORTER."""
        source = self.path / "src" / self.package
        return any(
            "OTEL_LOGS_EXPORTER" in path.read_text(encoding="utf-8")
            for path in source.rglob("*.py")
        )

    def add(self, package: str) -> None:
        """Install one more package into the project's environment (not its
        dependencies): what a variant needs, such as uvloop."""
        command = ["pip", "install", "--python", str(self.python), package]
        result = uv(self.path, *command)
        if result.returncode != 0:
            raise SystemExit(f"installing {package} failed:\n{result.stderr[-2000:]}")


def unit_suite(project: Project) -> dict[str, Any]:
    """`uv run pytest` from start to exit, and the time pytest itself reports
    (collection and tests, without the interpreter's start and the plugins' imports:
    what the closing line gives). The second run: the first in a fresh environment
    also compiles every module's bytecode, which a developer pays once."""
    for _ in range(2):
        started = time.perf_counter()
        result = uv(project.path, "run", "pytest", "-p", "no:cacheprovider")
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            failed = result.stdout[-3000:]
            raise SystemExit(f"the generated unit suite failed:\n{failed}")
    reported = PYTEST_SECONDS.findall(result.stdout)
    return {
        "seconds": seconds,
        "pytest_seconds": float(reported[-1]) if reported else float("nan"),
        "counts": pytest_counts(result.stdout),
    }


def metrics_cost(project: Project) -> dict[str, float]:
    """CPU microseconds the metrics add per message (its two histogram records), and
    what exemplars would add to them, by `benchmarks/metrics_cost.py --records` in the
    project's interpreter: a few microseconds are below what the service's rounds can
    resolve."""
    result = subprocess.run(
        [str(project.python), str(METRICS_COST), project.package, "--records"],
        cwd=project.path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"measuring the metrics failed:\n{result.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "metrics": figures["otel record"],
        "exemplars": figures["otel record, SDK default exemplars"]
        - figures["otel record"],
    }


@contextmanager
def otlp_receiver(python: Path, workdir: Path) -> Iterator[tuple[str, Path]]:
    """The local OTLP/gRPC receiver while the block runs: its endpoint and the file
    where it counts what it receives."""
    port = free_port()
    counts = workdir / "received"
    counts.touch()
    process = subprocess.Popen(
        [str(python), str(RECEIVER), str(port), str(counts)],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until_listening(port, process, "the OTLP receiver")
        yield f"http://127.0.0.1:{port}", counts
    finally:
        process.terminate()
        process.wait(timeout=10)


def received(counts: Path, run: str, signal: str) -> int:
    """What the receiver got of one run: spans, log records or metric points."""
    total = 0
    for line in counts.read_text(encoding="utf-8").splitlines():
        name, kind, number = line.split()
        if name == run and kind == signal:
            total += int(number)
    return total


def environment_of(project: Project) -> dict[str, str]:
    """Ours, without OTEL_* variables and virtualenv settings."""
    skipped = ("OTEL_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if not k.startswith(skipped)}


def measure(
    project: Project,
    broker: str,
    url: str,
    mode: Mode,
    orders: int,
    receiver: tuple[str, Path],
) -> dict[str, Any]:
    """One round of one mode, in a fresh process of the project's interpreter."""
    endpoint, counts = receiver
    run = uuid.uuid4().hex[:8]
    environment = {
        **environment_of(project),
        "BROKER_URL": url,
        "ORDERS_TOPIC": f"bench-orders-{run}",
        "INVOICES_TOPIC": f"bench-invoices-{run}",
        "CONSUMER_GROUP": f"bench-{run}",
        # A session of its own: the default, the host name, would resume the last
        # round's session on the broker, with what that left queued.
        "MQTT_CLIENT_ID": f"bench-{run}",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_RESOURCE_ATTRIBUTES": f"benchmark.run={run}",
        **mode.environment,
    }
    seed = random.getrandbits(32)
    command = [str(project.python), str(HARNESS), "serve", "--broker", broker]
    command += ["--package", project.package, "--mode", mode.harness_mode]
    command += ["--orders", str(orders), "--seed", str(seed)]
    command += ["--ratio", str(mode.upstream_ratio), "--loop", mode.loop]
    command += ["--launched", repr(time.time())]
    result = subprocess.run(
        command,
        cwd=project.path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300 + orders,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{broker} {mode.name} failed:\n{result.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    # The warm-up orders come with sampled contexts too.
    sampled = summary.pop("upstream_sampled") + summary.pop("warm_up_orders")
    summary["spans_expected"] = SPANS_PER_ORDER * sampled if mode.traced else 0
    summary["spans_exported"] = received(counts, run, "spans")
    summary["logs_exported"] = received(counts, run, "logs")
    return summary


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The best round's rate (the one least disturbed by whatever else the machine
    ran), the median CPU time per order; spans, log records and orders of every round
    added up (log records expected: None when the service hands none to
    OpenTelemetry)."""
    logs = [run["log_records"] for run in runs]
    return {
        "logs_expected": None if None in logs else sum(logs),
        "logs_exported": sum(run["logs_exported"] for run in runs),
        "per_second": max(run["per_second"] for run in runs),
        "cpu_us": statistics.median(run["cpu_us"] for run in runs),
        "ready_s": statistics.median(run["ready_s"] for run in runs),
        "max_rss_mb": statistics.median(run["max_rss_mb"] for run in runs),
        **{
            key: sum(run[key] for run in runs)
            for key in ("orders", "handled", "spans_expected", "spans_exported")
        },
    }


def benchmark(
    broker: str,
    url: str,
    modes: list[Mode],
    projects: dict[str, Project],
    receiver: tuple[str, Path],
    orders: int,
    rounds: int,
) -> dict[str, dict[str, Any]]:
    runs: dict[str, list[dict[str, Any]]] = {mode.name: [] for mode in modes}
    for number in range(rounds):
        # Alternate, and rotate the order, so drift on a busy machine is shared.
        turn = number % len(modes)
        for mode in modes[turn:] + modes[:turn]:
            project = projects[mode.python]
            run = measure(project, broker, url, mode, orders, receiver)
            runs[mode.name].append(run)
            # As it goes, on stderr: a long run interrupted still tells something.
            print(f"{broker} {mode.name} round {number + 1}: {run}", file=sys.stderr)
    return {name: summarize(mode_runs) for name, mode_runs in runs.items()}


def ratio(value: float, base: float) -> float:
    return value / base if base else float("nan")


def dropped(result: dict[str, Any]) -> int:
    return max(0, result["spans_expected"] - result["spans_exported"])


def logs_dropped(result: dict[str, Any]) -> int | None:
    if result["logs_expected"] is None:
        return None
    return max(0, result["logs_expected"] - result["logs_exported"])


def print_table(
    results: dict[str, dict[str, dict[str, Any]]], costs: dict[str, dict[str, float]]
) -> None:
    print(
        "| broker | mode | orders/s | vs bare | vs documented | cpu us | cpu vs "
        "documented | cpu vs plain | spans | log records | orders handled | ready s "
        "| max RSS MB | metrics us |"
    )
    print("|---" * 14 + "|")
    for broker, result in results.items():
        bare, documented = result["bare"], result["documented"]
        plain = result["plain"]
        for name, row in result.items():
            logs = row["logs_expected"]
            print(
                f"| {broker} | {name} | {row['per_second']:.0f} "
                f"| {ratio(row['per_second'], bare['per_second']):.2f} "
                f"| {ratio(row['per_second'], documented['per_second']):.2f} "
                f"| {row['cpu_us']:.0f} "
                f"| {ratio(row['cpu_us'], documented['cpu_us']):.2f} "
                f"| {ratio(row['cpu_us'], plain['cpu_us']):.2f} "
                f"| {row['spans_exported']}/{row['spans_expected']} "
                f"| {row['logs_exported']}/{'-' if logs is None else logs} "
                f"| {row['handled']}/{row['orders']} "
                f"| {row['ready_s']:.2f} | {row['max_rss_mb']:.0f} "
                f"| {costs[broker]['metrics']:.1f} |"
            )


def report(
    results: dict[str, dict[str, dict[str, Any]]],
    suites: dict[str, dict[str, Any]],
    costs: dict[str, dict[str, float]],
    generate_s: list[float],
    orders: int,
    rounds: int,
    templated: set[str],
) -> None:
    print(f"generate a project: {statistics.median(generate_s):.2f} s (median)")
    for broker, suite in suites.items():
        counts = ", ".join(f"{n} {outcome}" for outcome, n in suite["counts"].items())
        print(
            f"{broker} unit suite: {suite['seconds']:.1f} s from start to exit, "
            f"{suite['pytest_seconds']:.1f} s as pytest reports it ({counts})"
        )
    print(
        f"{orders} orders a round, {rounds} rounds a mode, Python {PYTHON} unless the "
        "mode says, spans (and, in signals, metrics and log records) over OTLP/gRPC to "
        "a local receiver. orders/s: the best round; cpu us: the service process's "
        "median CPU time per order (all its threads); vs: ratios to bare, documented "
        "and plain; spans, log records: received/expected (sampled: expected counts "
        "the upstream sampled orders only; log records '-': none handed to "
        "OpenTelemetry); ready: from process start to the app started; "
        "metrics us: CPU the template's metrics add per message, its two histogram "
        "records measured alone (benchmarks/metrics_cost.py --records)"
    )
    print()
    print_table(results, costs)
    print()

    def worst(pick: Any, of: str, mode: str, base: str) -> float:
        values = [
            ratio(result[mode][of], result[base][of]) for result in results.values()
        ]
        return float(pick(values))

    def extra(of: str) -> float:
        return max(r["template"][of] - r["documented"][of] for r in results.values())

    # Added by the comparison with the plainest app and the documented signals.
    plain = worst(max, "cpu_us", "template", "plain")
    print(f"template/plain cpu ratio: {plain:.2f}")
    log_losses = [
        logs_dropped(r[name]) for r in results.values() for name in templated & set(r)
    ]
    known = [n for n in log_losses if n is not None]
    print(f"log records dropped: {max(known) if known else 'n/a'}")
    logs_us = [
        (r["signals"]["cpu_us"] - r["template"]["cpu_us"]) / MESSAGES_PER_ORDER
        for r in results.values()
        if "signals" in r
    ]
    print(f"logs us per message: {f'{max(logs_us):.1f}' if logs_us else 'n/a'}")
    exemplars_us = max(c["exemplars"] for c in costs.values())
    print(f"max exemplar us per message: {exemplars_us:.1f}")
    print(f"max ready vs documented: {extra('ready_s'):+.2f} s")
    print(f"max peak RSS vs documented: {extra('max_rss_mb'):+.0f} MB")
    # The lines the earlier rounds printed, in their order.
    print(f"min traced/bare ratio: {worst(min, 'per_second', 'template', 'bare'):.2f}")
    print(f"min sampled/bare ratio: {worst(min, 'per_second', 'sampled', 'bare'):.2f}")
    metrics_us = max(c["metrics"] for c in costs.values())
    print(f"max metrics us per message: {metrics_us:.1f}")
    cpu = worst(max, "cpu_us", "template", "documented")
    print(f"template/documented cpu ratio: {cpu:.2f}")
    throughput = worst(min, "per_second", "template", "documented")
    print(f"template/documented throughput ratio: {throughput:.2f}")
    spans = max(
        dropped(r[name]) for r in results.values() for name in templated & set(r)
    )
    print(f"spans dropped: {spans}")
    suite = max(s["pytest_seconds"] for s in suites.values())
    print(f"generated unit suite: {suite:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders a round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds a mode")
    parser.add_argument(
        "--brokers",
        default=",".join(BROKERS),
        help=f"comma-separated, from {', '.join(BROKERS)}",
    )
    parser.add_argument(
        "--variant",
        type=variant,
        action="append",
        default=[],
        help="the template mode with candidate defaults: uvloop, py3.11, py3.12, "
        "delay=MS, "
        "batch=N, queue=N, log=LEVEL, joined by + (repeat for more)",
    )
    arguments = parser.parse_args()
    brokers = [name.strip() for name in arguments.brokers.split(",") if name.strip()]
    unknown = set(brokers) - set(BROKERS)
    if unknown or not brokers:
        parser.error(f"unknown brokers {sorted(unknown)}; choose from {BROKERS}")
    modes: list[Mode] = [*MODES, *arguments.variant]

    results: dict[str, dict[str, dict[str, Any]]] = {}
    suites: dict[str, dict[str, Any]] = {}
    costs: dict[str, dict[str, float]] = {}
    generate_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir, ExitStack() as stack:
        kafka_url = None
        if set(brokers) & set(KAFKA_PROTOCOL):
            kafka_url = stack.enter_context(tansu_server())
        receiver = None
        for broker in brokers:
            projects: dict[str, Project] = {}
            for python in sorted({mode.python for mode in modes}):
                project, seconds = Project.prepare(broker, python, Path(workdir))
                projects[python] = project
                generate_s.append(seconds)
            if any(mode.loop == "uvloop" for mode in modes):
                for python in {mode.python for mode in modes if mode.loop == "uvloop"}:
                    projects[python].add("uvloop")
            if receiver is None:
                receiver = stack.enter_context(
                    otlp_receiver(projects[PYTHON].python, Path(workdir))
                )
            suites[broker] = unit_suite(projects[PYTHON])
            costs[broker] = metrics_cost(projects[PYTHON])
            broker_modes = modes
            if projects[PYTHON].pushes_logs:
                broker_modes = [*modes, SIGNALS]
            else:
                print(f"{broker}: no logs over OTLP in the project, no signals mode")
            url = kafka_url if broker in KAFKA_PROTOCOL else LOCAL_SERVERS[broker]
            assert url is not None
            orders = arguments.orders
            if broker in BACKLOG_LIMIT and orders > BACKLOG_LIMIT[broker]:
                orders = BACKLOG_LIMIT[broker]
                print(f"{broker}: {orders} orders a round (its backlog limit)")
            results[broker] = benchmark(
                broker, url, broker_modes, projects, receiver, orders, arguments.rounds
            )
    templated = {mode.name for mode in [*modes, SIGNALS] if mode.templated}
    report(
        results,
        suites,
        costs,
        generate_s,
        arguments.orders,
        arguments.rounds,
        templated,
    )


if __name__ == "__main__":
    main()

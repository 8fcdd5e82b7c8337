"""What tracing adds per order, part by part, in a generated project:
`python <this file> <package> [--orders N] [--callgrind]`, run with the project's
interpreter in its directory (`uv run python -m benchmarks.breakdown` does that for
a project it generates).

Orders go through the project's app on FastStream's in-memory test broker (each is
two messages published and two processed, through the project's own middlewares), so
that only the service's own work is measured, not a broker's client. Layers, each a
fresh interpreter that adds one thing to the one before:

- `untraced, quiet`: `OTEL_SDK_DISABLED=true`, `LOG_LEVEL=WARNING`;
- `+ logs`: `LOG_LEVEL=INFO`, the service's default (its per-message lines);
- `+ spans`: tracing on (FastStream's middleware and the SDK's spans), metrics
  recorded into a no-op meter provider, the spans queued and not exported;
- `+ metrics`: the project's meter provider (its two histograms);
- `+ export`: the queued spans serialized and sent over OTLP/gRPC to a local receiver,
  in the measuring thread (the batch processor's `force_flush`) so that it is counted.

Each layer is measured two ways: CPU time per order (best of a few runs: a shared
machine disturbs it) and, with `--callgrind`, instructions per order under valgrind's
callgrind (`--instr-atstart=no`, switched on for the measured orders only), which
other load does not change. The `+ spans` layer is then split by a cProfile run of
the whole pipeline: the own time of FastStream's telemetry middleware against the
OpenTelemetry API and SDK (spans, context, propagation).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Beside this file: run as a script, its directory is on the path.
from metrics_cost import ORDER, WARM_UP, in_memory

ORDERS = 2000
RUNS = 3
RECEIVER = Path(__file__).with_name("otlp_receiver.py")
QUIET = {"OTEL_SDK_DISABLED": "true", "LOG_LEVEL": "WARNING"}
# Spans stay queued until the measured force_flush: no export thread at work.
QUEUED = {
    "OTEL_BSP_SCHEDULE_DELAY": str(24 * 3600 * 1000),
    "OTEL_BSP_MAX_QUEUE_SIZE": "1000000",
    # A full batch wakes the processor's thread: none fills before the flush.
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1000000",
}
LAYERS: dict[str, dict[str, str]] = {
    "untraced, quiet": QUIET,
    "+ logs": {"OTEL_SDK_DISABLED": "true", "LOG_LEVEL": "INFO"},
    "+ spans": {"LOG_LEVEL": "INFO", "BREAKDOWN_METRICS": "off", **QUEUED},
    "+ metrics": {"LOG_LEVEL": "INFO", **QUEUED},
    "+ export": {"LOG_LEVEL": "INFO", "BREAKDOWN_EXPORT": "on", **QUEUED},
}
# Own time of the pipeline's functions, by where they are defined (first match).
PARTS = [
    ("FastStream telemetry middleware", ("faststream/opentelemetry",)),
    ("OpenTelemetry spans and context", ("opentelemetry/sdk/trace", "opentelemetry/")),
]


def load_app(package: str) -> Any:
    if os.environ.get("BREAKDOWN_METRICS") == "off":
        from opentelemetry.metrics import NoOpMeterProvider

        metrics = importlib.import_module(f"{package}.metrics")
        metrics.create_meter_provider = lambda resource: NoOpMeterProvider()
    return importlib.import_module(f"{package}.app")


def callgrind(on: bool) -> None:
    """Switch callgrind's instrumentation for this process, when it runs under it."""
    if os.environ.get("BREAKDOWN_CALLGRIND"):
        switch = "on" if on else "off"
        subprocess.run(
            ["callgrind_control", "-i", switch, str(os.getpid())],
            capture_output=True,
            check=True,
        )


async def send_orders(package: str, orders: int, profile: bool) -> dict[str, Any]:
    """CPU seconds for `orders` orders through the in-memory broker."""
    service = load_app(package)
    test_broker, destination = in_memory(package, service)
    export = os.environ.get("BREAKDOWN_EXPORT") == "on"
    profiler = cProfile.Profile() if profile else None
    async with test_broker as broker:
        service.export_spans()  # the app's own start-up hook that starts the export
        for _ in range(WARM_UP):
            await broker.publish(ORDER, **destination)
        service.tracer_provider.force_flush()
        callgrind(on=True)
        if profiler:
            profiler.enable()
        started = time.process_time()
        for _ in range(orders):
            await broker.publish(ORDER, **destination)
        if export:
            service.tracer_provider.force_flush()
        seconds = time.process_time() - started
        if profiler:
            profiler.disable()
        callgrind(on=False)
    result: dict[str, Any] = {"cpu_s": seconds}
    if profiler:
        result["own_s"] = own_times(profiler)
    return result


def own_times(profiler: cProfile.Profile) -> dict[str, float]:
    """Seconds of own time by part, the rest under "everything else"."""
    totals = {name: 0.0 for name, _ in PARTS} | {"everything else": 0.0}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for (path, _, _), (_, _, own, _, _) in stats.items():
        part = next(
            (name for name, places in PARTS if any(p in path for p in places)),
            "everything else",
        )
        totals[part] += own
    return totals


def child(arguments: argparse.Namespace) -> None:
    figures = asyncio.run(
        send_orders(arguments.package, arguments.orders, arguments.profile)
    )
    print(json.dumps(figures))


def run_layer(
    arguments: argparse.Namespace,
    environment: dict[str, str],
    *,
    profile: bool = False,
    under_callgrind: Path | None = None,
) -> dict[str, Any]:
    command = [sys.executable, __file__, arguments.package, "--child"]
    command += ["--orders", str(arguments.orders)]
    if profile:
        command.append("--profile")
    extra: dict[str, str] = {}
    if under_callgrind is not None:
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={under_callgrind}",
            *command,
        ]
        # The same hash seed every run: dictionaries and sets do the same work.
        extra |= {"BREAKDOWN_CALLGRIND": "1", "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        command,
        env={**os.environ, **environment, **extra},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{command} failed:\n{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if under_callgrind is not None:
        figures["instructions"] = instructions(under_callgrind)
    return figures


def instructions(out_file: Path) -> int:
    """Instructions counted (the `summary:` or `totals:` line of callgrind's output)."""
    total = 0
    for path in out_file.parent.glob(out_file.name + "*"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith(("summary:", "totals:")):
                total = max(total, int(line.split()[1]))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package")
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--callgrind", action="store_true")
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return
    if arguments.callgrind and not shutil.which("valgrind"):
        raise SystemExit("--callgrind needs valgrind on PATH")

    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, str(RECEIVER), str(port), os.devnull],
        stdout=subprocess.DEVNULL,
    )
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = f"http://127.0.0.1:{port}"
    try:
        time.sleep(1)  # the receiver listening; an export would otherwise be retried
        per_order: dict[str, dict[str, float]] = {}
        for name, environment in LAYERS.items():
            best = min(run_layer(arguments, environment)["cpu_s"] for _ in range(RUNS))
            per_order[name] = {"cpu_us": best / arguments.orders * 1e6}
            if arguments.callgrind:
                with tempfile.TemporaryDirectory() as directory:
                    counted = run_layer(
                        arguments,
                        environment,
                        under_callgrind=Path(directory) / "callgrind.out",
                    )
                per_order[name]["instructions"] = (
                    counted["instructions"] / arguments.orders
                )
        profiled = run_layer(arguments, LAYERS["+ spans"], profile=True)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    own = profiled["own_s"]
    shares = {name: seconds / sum(own.values()) for name, seconds in own.items()}
    print(
        json.dumps(
            {
                "orders": arguments.orders,
                "layers": per_order,
                "profile shares, + spans": shares,
            }
        )
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()

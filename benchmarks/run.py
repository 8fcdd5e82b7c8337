"""What tracing costs a generated service, broker by broker, side by side:
`uv run python -m benchmarks.run`.

For each broker it generates a project (OTLP over gRPC, Python 3.11), installs it,
and runs the project's own benchmark (`python -m tests.benchmark`, described in
`docs/performance.md`) against a real broker of that kind: the local servers the
integration tests use, and a Tansu broker it starts for Kafka and Confluent. The
in-memory row is the Kafka project on FastStream's in-memory test broker. It also
times generating a project and the generated unit suite, and measures the tracing
middleware alone, FastStream's and the template's, in a loop without a broker
(`benchmarks/middleware_loop.py`).

Prints figures, not a verdict: they depend on the machine and on what else it runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.brokers import KAFKA_PROTOCOL, LOCAL_SERVERS, tansu_server
from tests.combinations import Combination
from tests.projects import generate, install, pytest_counts, uv

IN_MEMORY = "in-memory"
BROKERS = [IN_MEMORY, "kafka", "confluent", "rabbit", "nats", "redis", "mqtt"]
# The brokers of the `min traced/bare ratio` line (Kafka by either client).
TRACED_GOAL_BROKERS = {"rabbit", "kafka", "confluent", "redis"}
PYTHON = "3.11"
MIDDLEWARE_LOOP = Path(__file__).with_name("middleware_loop.py")


def project_for(broker: str) -> Combination:
    kind = "kafka" if broker == IN_MEMORY else broker
    return Combination(kind, "otlp-grpc", "none", PYTHON)


def prepare(broker: str, workdir: Path) -> tuple[Path, dict[str, float]]:
    """A generated, installed project for the broker, and how long each step took."""
    output = workdir / broker
    output.mkdir()
    started = time.perf_counter()
    project = generate(output, project_for(broker))
    generated = time.perf_counter()
    install(project, PYTHON)
    return project, {
        "generate_s": generated - started,
        "install_s": time.perf_counter() - generated,
    }


def unit_suite(project: Path) -> dict[str, Any]:
    started = time.perf_counter()
    result = uv(project, "run", "pytest", "-p", "no:cacheprovider")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the generated unit suite failed:\n{result.stdout[-3000:]}")
    return {"seconds": seconds, "counts": pytest_counts(result.stdout)}


def measure(
    project: Path, broker: str, url: str | None, orders: int, rounds: int
) -> dict[str, Any]:
    """The project's own benchmark, as one JSON summary."""
    command = ["run", "python", "-m", "tests.benchmark", "--json"]
    command += ["--orders", str(orders), "--rounds", str(rounds)]
    if broker == IN_MEMORY:
        command.append("--in-memory")
    result = uv(
        project,
        *command,
        environment={"BROKER_URL": url} if url else None,
        timeout=600 + 20 * orders * rounds,
    )
    if result.returncode != 0:
        raise SystemExit(f"{broker}: the benchmark failed:\n{result.stderr[-3000:]}")
    summary: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def middleware_loop(project: Path, messages: int) -> dict[str, float]:
    """The middleware alone, per message, in the project's interpreter."""
    package = next((project / "src").iterdir()).name
    command = ["run", "python", str(MIDDLEWARE_LOOP), package, str(messages)]
    result = uv(project, *command, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"the middleware loop failed:\n{result.stderr[-3000:]}")
    costs: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return costs


COMPARED = ("traced", "sampled", "faststream", "sdk")


def row(broker: str, result: dict[str, Any]) -> str:
    bare, traced, sampled, floor = (
        result[mode] for mode in ("bare", "traced", "sampled", "floor")
    )
    rates = " | ".join(
        f"{result[mode]['per_second']:.0f} ({result[mode]['ratio']:.2f}x)"
        for mode in COMPARED
    )
    cpu = " | ".join(f"{result[mode]['cpu_overhead_us']:.0f}" for mode in COMPARED)
    spans = " | ".join(
        f"{result[mode]['spans_exported']}/{result[mode]['spans_expected']}"
        for mode in ("traced", "sampled", "faststream", "sdk")
    )
    handled = sum(result[mode]["handled"] for mode in ("bare", *COMPARED))
    orders = sum(result[mode]["orders"] for mode in ("bare", *COMPARED))
    return (
        f"| {broker} | {bare['per_second']:.0f} | {rates} "
        f"| {traced['overhead_us']:.0f} | {sampled['overhead_us']:.0f} | {cpu} "
        f"| {floor['overhead_us']:.0f} | {spans} | {handled}/{orders} |"
    )


def lowest(results: dict[str, dict[str, Any]], mode: str, brokers: set[str]) -> str:
    ratios = [
        result[mode]["ratio"] for name, result in results.items() if name in brokers
    ]
    return f"{min(ratios):.2f}" if ratios else "n/a (no such broker measured)"


def report(
    results: dict[str, dict[str, Any]],
    timings: dict[str, dict[str, float]],
    suite: dict[str, Any] | None,
    loop: dict[str, float] | None,
    orders: int,
    rounds: int,
) -> None:
    generate_s = statistics.median(t["generate_s"] for t in timings.values())
    install_s = statistics.median(t["install_s"] for t in timings.values())
    print(
        f"generate a project: {generate_s:.2f} s (median; uv sync: {install_s:.1f} s)"
    )
    if suite:
        counts = ", ".join(f"{n} {outcome}" for outcome, n in suite["counts"].items())
        print(f"generated unit suite: {suite['seconds']:.1f} s ({counts})")
    print(
        f"{orders} orders a round, {rounds} rounds a mode; orders per second of the "
        "best round; traced, sampled: the template's middleware at 100% and 10%; "
        "FastStream: FastStream's own middleware at 100%; SDK alone: the same spans "
        "by straight SDK calls in the service; us: microseconds tracing adds to each "
        "order over bare, from those rates; cpu us: the same from the service's "
        "median CPU time per order; floor: the same spans made with the SDK alone, "
        "without a broker; spans: exported/expected"
    )
    print()
    print(
        "| broker | bare/s | traced 100%/s | sampled 10%/s | FastStream 100%/s "
        "| SDK alone 100%/s | traced us | sampled us | traced cpu us "
        "| sampled cpu us | FastStream cpu us | SDK alone cpu us | floor us "
        "| spans traced | spans sampled | spans FastStream | spans SDK alone "
        "| orders handled |"
    )
    print("|---" * 18 + "|")
    for broker, result in results.items():
        print(row(broker, result))
    if loop:
        print()
        print(
            "The middleware alone, in a loop: CPU microseconds per message "
            "(consume it, publish one; best of 5 runs)"
        )
        print()
        print("| middleware | sampled | not sampled |")
        print("|---|---|---|")
        print(f"| none (tracing off) | {loop['untraced']:.1f} | |")
        print(f"| SDK alone (the floor) | {loop['sdk alone']:.1f} | |")
        for name, label in (("faststream", "FastStream's"), ("template", "template's")):
            print(
                f"| {label} | {loop[f'{name}, sampled']:.1f} "
                f"| {loop[f'{name}, not sampled']:.1f} |"
            )
    print()
    real = set(results) - {IN_MEMORY}
    print(f"min traced/bare ratio: {lowest(results, 'traced', TRACED_GOAL_BROKERS)}")
    print(f"min sampled/bare ratio: {lowest(results, 'sampled', real)}")


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
        "--no-unit-suite", action="store_true", help="skip timing the unit suite"
    )
    parser.add_argument(
        "--loop-messages",
        type=int,
        default=20_000,
        help="messages a run of the middleware loop",
    )
    arguments = parser.parse_args()
    brokers = [name.strip() for name in arguments.brokers.split(",") if name.strip()]
    unknown = set(brokers) - set(BROKERS)
    if unknown:
        parser.error(f"unknown brokers {sorted(unknown)}; choose from {BROKERS}")

    results: dict[str, dict[str, Any]] = {}
    timings: dict[str, dict[str, float]] = {}
    suite = None
    loop = None
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir, ExitStack() as stack:
        kafka_url = None
        if set(brokers) & set(KAFKA_PROTOCOL):
            kafka_url = stack.enter_context(tansu_server())
        for broker in brokers:
            project, timings[broker] = prepare(broker, Path(workdir))
            if suite is None and not arguments.no_unit_suite:
                suite = unit_suite(project)
            if loop is None:
                loop = middleware_loop(project, arguments.loop_messages)
            url = kafka_url if broker in KAFKA_PROTOCOL else LOCAL_SERVERS.get(broker)
            results[broker] = measure(
                project, broker, url, arguments.orders, arguments.rounds
            )
    report(results, timings, suite, loop, arguments.orders, arguments.rounds)


if __name__ == "__main__":
    main()

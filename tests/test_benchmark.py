"""The benchmark runs and reports: a handful of orders on Redis, in a generated
project. Its figures are not checked: they are not a test."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.template import TEMPLATE_DIR

ROW = re.compile(
    r"^\| (?P<broker>[\w-]+) \| (?P<mode>[\w\[\]+=.-]+) \| \d+ \| [\d.]+ \| [\d.]+ "
    r"\| \d+ \| [\d.]+ \| [\d.]+ \| (?P<exported>\d+)/(?P<expected>\d+) "
    r"\| (?P<logs_exported>\d+)/(?P<logs_expected>\d+|-) "
    r"\| (?P<handled>\d+)/(?P<orders>\d+) \| [\d.]+ \| \d+ \| (?P<metrics>[\d.]+) \|$",
    re.M,
)
# The lines issue 26 added, then those of the earlier rounds, in this order.
CLOSING_LINES = [
    r"template/plain cpu ratio: \d+\.\d\d",
    r"log records dropped: (\d+|n/a)",
    r"logs us per message: (-?\d+\.\d|n/a)",
    r"max exemplar us per message: -?\d+\.\d",
    r"max ready vs documented: [+-]\d+\.\d\d s",
    r"max peak RSS vs documented: [+-]\d+ MB",
    r"min traced/bare ratio: \d+\.\d\d",
    r"min sampled/bare ratio: \d+\.\d\d",
    r"max metrics us per message: \d+\.\d",
    r"template/documented cpu ratio: \d+\.\d\d",
    r"template/documented throughput ratio: \d+\.\d\d",
    r"spans dropped: \d+",
    r"generated unit suite: \d+\.\d s",
]
TINY_RUN = ["--orders", "10", "--rounds", "1", "--brokers", "redis"]


@pytest.mark.generated
def test_the_benchmark_prints_its_table_and_closing_lines() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", *TINY_RUN],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    rows = {match["mode"]: match for match in ROW.finditer(result.stdout)}
    modes = {"plain", "bare", "template", "sampled", "documented"}
    # `signals` once the generated project pushes logs over OTLP.
    assert set(rows) - {"signals"} == modes, result.stdout
    for row in rows.values():
        assert row["broker"] == "redis"
        assert row["handled"] == row["orders"] == "10", result.stdout
    for mode in ("template", "documented"):
        # Three spans an order, the warm-up orders' included: none lost.
        assert rows[mode]["exported"] == rows[mode]["expected"], result.stdout
        assert int(rows[mode]["expected"]) >= 30, result.stdout
    for mode in ("plain", "bare"):
        assert rows[mode]["exported"] == rows[mode]["expected"] == "0", result.stdout
    if "signals" in rows:
        signals = rows["signals"]
        assert signals["logs_exported"] == signals["logs_expected"], result.stdout
    closing = result.stdout.strip().splitlines()[-len(CLOSING_LINES) :]
    for line, pattern in zip(closing, CLOSING_LINES, strict=True):
        assert re.fullmatch(pattern, line), result.stdout

"""The benchmark runs and reports: a handful of orders on the in-memory broker and on
Redis, each a generated project. Its figures are not checked: they are not a test."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.template import TEMPLATE_DIR

ROW = re.compile(
    r"^\| (?P<broker>[\w-]+) \| \d+ (?:\| \d+ \([\d.]+x\) ){4}"
    r"(?:\| -?\d+ ){6}\| \d+ (?:\| \d+/\d+ ){4}"
    r"\| (?P<orders>\d+/\d+) \|$",
    re.M,
)

TINY_RUN = ["--orders", "10", "--rounds", "1", "--brokers", "in-memory,redis"]
TINY_RUN += ["--no-unit-suite", "--loop-messages", "200"]
LOOP_ROW = re.compile(r"^\| (?P<middleware>[^|]+) \| [\d.]+ \| (?:[\d.]+ )?\|$", re.M)


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
    rows = {match["broker"]: match for match in ROW.finditer(result.stdout)}
    assert set(rows) == {"in-memory", "redis"}, result.stdout
    for row in rows.values():
        handled, orders = row["orders"].split("/")
        assert handled == orders, result.stdout
    assert re.search(r"^generate a project: [\d.]+ s", result.stdout, re.M)
    loop = [match["middleware"] for match in LOOP_ROW.finditer(result.stdout)]
    expected = ["none (tracing off)", "SDK alone (the floor)", "FastStream's"]
    assert loop == [*expected, "template's"], result.stdout
    last_two = result.stdout.strip().splitlines()[-2:]
    assert re.fullmatch(r"min traced/bare ratio: \d+\.\d\d", last_two[0])
    assert re.fullmatch(r"min sampled/bare ratio: \d+\.\d\d", last_two[1])

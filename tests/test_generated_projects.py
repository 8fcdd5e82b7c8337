"""Generated projects installed with uv and checked with their own tools: unit tests,
strict types, lint and format for every broker x exporter, and integration tests
against a real broker for every broker (see `combinations.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.combinations import CHECKED, INTEGRATION, Combination, params
from tests.projects import generate, install, pytest_counts, uv
from tests.template import BACKENDS, BROKERS, EXPORTERS, PYTHON_VERSIONS, refusal

pytestmark = pytest.mark.generated


def test_the_declared_sets_cover_every_choice() -> None:
    pairs = {(c.broker, c.exporter) for c in CHECKED}
    assert pairs == {(b, e) for b in BROKERS for e in EXPORTERS}
    assert {c.python_version for c in CHECKED} == set(PYTHON_VERSIONS)
    assert {c.backend for c in CHECKED} == set(BACKENDS)
    assert {(c.exporter, c.backend) for c in CHECKED} == {
        (e, b) for e in EXPORTERS for b in BACKENDS if refusal(e, b) is None
    }
    assert {c.broker for c in INTEGRATION} == set(BROKERS)
    assert {c.exporter for c in INTEGRATION} == set(EXPORTERS)
    assert {c.python_version for c in INTEGRATION} == set(PYTHON_VERSIONS)
    assert all(refusal(c.exporter, c.backend) is None for c in CHECKED + INTEGRATION)


@pytest.mark.parametrize("combination", params(CHECKED))
def test_generated_project_passes_its_own_checks(
    output_dir: Path, combination: Combination
) -> None:
    project = generate(output_dir, combination)
    install(project, combination.python_version)

    tests = uv(project, "run", "--no-sync", "pytest", "-p", "no:cacheprovider")
    counts = pytest_counts(tests.stdout)
    assert tests.returncode == 0, tests.stdout[-4000:]
    assert counts.get("passed", 0) >= 25, counts
    assert set(counts) <= {"passed", "deselected"}, f"none may fail or skip: {counts}"

    types = uv(project, "run", "--no-sync", "mypy")
    assert types.returncode == 0, types.stdout
    assert types.stdout.startswith("Success: no issues found")

    for check in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        result = uv(project, "run", "--no-sync", *check)
        assert result.returncode == 0, result.stdout + result.stderr

    version = uv(project, "run", "--no-sync", "python", "--version")
    assert version.stdout.startswith(f"Python {combination.python_version}.")


@pytest.mark.parametrize("combination", params(INTEGRATION))
def test_integration_tests_pass_against_the_real_broker(
    output_dir: Path,
    combination: Combination,
    broker_url: str,
    record_property: Callable[[str, object], None],
) -> None:
    project = generate(output_dir, combination)
    install(project, combination.python_version)

    started = time.monotonic()
    tests = uv(
        project,
        "run",
        "--no-sync",
        "pytest",
        "-m",
        "integration",
        "-p",
        "no:cacheprovider",
        environment={"BROKER_URL": broker_url},
    )
    elapsed = time.monotonic() - started
    counts = pytest_counts(tests.stdout)

    assert tests.returncode == 0, tests.stdout[-4000:]
    # A skip means the broker was not reached: that is a failure here.
    assert set(counts) == {"passed", "deselected"}, counts
    assert counts["passed"] >= 3, counts
    passed = counts["passed"]
    figure = f"{combination.broker} integration suite: {elapsed:.1f} s, {passed} passed"
    record_property("figure", figure)

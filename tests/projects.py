"""Generating a project and running its own tooling, as a user would."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.combinations import Combination
from tests.conftest import run_cookiecutter
from tests.template import interpreter

PYTEST_SUMMARY = re.compile(r"^=+ (?P<summary>.+) in [\d.]+s(?: \([^)]*\))? =+$", re.M)


def generate(output_dir: Path, combination: Combination) -> Path:
    answers = [f"{key}={value}" for key, value in combination.context.items()]
    result = run_cookiecutter(output_dir, *answers)
    assert result.returncode == 0, result.stderr
    (project,) = output_dir.iterdir()
    return project


def uv(
    project: Path,
    *arguments: str,
    environment: dict[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """`uv` in the project, with OTEL_* and virtualenv settings of ours kept out and
    `environment` added."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OTEL_", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"))
    }
    return subprocess.run(
        ["uv", *arguments],
        cwd=project,
        env={**inherited, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def install(project: Path, python_version: str) -> None:
    """The README's first `uv sync`, which writes uv.lock, then CI's and the image's
    locked install from that lock."""
    python = interpreter(python_version)
    first = uv(project, "sync", "--python", python)
    assert first.returncode == 0, first.stderr
    assert (project / "uv.lock").is_file()
    locked = uv(project, "sync", "--locked", "--python", python)
    assert locked.returncode == 0, locked.stderr


def pytest_counts(output: str) -> dict[str, int]:
    """The closing line of a pytest run, as {'passed': 31, 'failed': 0, ...}."""
    match = PYTEST_SUMMARY.search(output)
    assert match, output[-2000:]
    counts = {}
    for part in match["summary"].split(", "):
        number, outcome = part.split(" ", 1)
        counts[outcome.rstrip("s") if outcome == "errors" else outcome] = int(number)
    return counts

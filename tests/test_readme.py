"""The README's two commands stay true."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.template import PYTHON_VERSIONS, TEMPLATE_DIR, interpreter

README = (TEMPLATE_DIR / "README.md").read_text()
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)
TEMPLATE_REFERENCE = "gh:<org>/faststream-otel-template"


def command(starting_with: str) -> str:
    (found,) = [
        block.strip() for block in BASH_BLOCKS if block.startswith(starting_with)
    ]
    return found


def test_ci_runs_the_readme_test_command() -> None:
    test_command = command("uv run pytest")
    ci_lines = (TEMPLATE_DIR / ".ci" / "run").read_text().splitlines()

    assert test_command in ci_lines


@pytest.mark.generated
def test_the_generate_command_generates_and_runs_the_demo(tmp_path: Path) -> None:
    generate_and_run = command("uvx cookiecutter --no-input")
    assert TEMPLATE_REFERENCE in generate_and_run

    result = subprocess.run(
        ["bash", "-c", generate_and_run.replace(TEMPLATE_REFERENCE, str(TEMPLATE_DIR))],
        cwd=tmp_path,
        # The default Python as uv finds it here (elsewhere, it downloads it).
        env={**os.environ, "UV_PYTHON": interpreter(PYTHON_VERSIONS[0])},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    generated, demo = result.stdout.split("\ntrace ", 1)
    assert generated.startswith("Created my-faststream-service. Next:")
    assert "orders process [CONSUMER]" in demo
    assert "invoices process [CONSUMER]" in demo
    assert (tmp_path / "my-faststream-service" / "pyproject.toml").is_file()

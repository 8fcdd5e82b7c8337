"""The template's own code (hooks and this suite) is held to the same standard as the
code it generates."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.template import TEMPLATE_DIR


@pytest.mark.parametrize(
    "check", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_template_code_is_clean(check: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *check],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr

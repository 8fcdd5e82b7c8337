"""The generated project's Dockerfile and pre-commit configuration pass their own
tools' checks (hadolint; pre-commit's validator, since running the hooks would clone
them from a code host)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.template import PYTHON_VERSIONS

TOOLS = Path(sys.executable).parent


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.mark.parametrize("python_version", PYTHON_VERSIONS)
def test_dockerfile_passes_hadolint(cookies: Any, python_version: str) -> None:
    result = cookies.bake(extra_context={"python_version": python_version})
    project = Path(result.project_path)
    dockerfile = (project / "Dockerfile").read_text()

    lint = run(str(TOOLS / "hadolint"), "Dockerfile", cwd=project)

    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert f"ARG PYTHON_VERSION={python_version}\n" in dockerfile
    assert "\nUSER 10001:10001\n" in dockerfile


def test_pre_commit_configuration_is_valid(cookies: Any) -> None:
    project = Path(cookies.bake().project_path)

    check = run(
        sys.executable,
        "-m",
        "pre_commit",
        "validate-config",
        ".pre-commit-config.yaml",
        cwd=project,
    )

    assert check.returncode == 0, check.stdout + check.stderr

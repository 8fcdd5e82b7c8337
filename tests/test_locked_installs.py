"""Every real install of a generated project (the image's build, CI) installs exactly
what uv.lock holds, and a lock gone stale fails the build instead of being rewritten."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.combinations import Combination
from tests.projects import generate, uv
from tests.template import PYTHON_VERSIONS, interpreter

PYTHON = PYTHON_VERSIONS[-1]


def dockerfile_uv_commands(dockerfile: str) -> list[list[str]]:
    """The `uv` commands of the Dockerfile's RUN instructions, without their
    `--mount` options."""
    joined = dockerfile.replace("\\\n", " ")
    commands = []
    for line in joined.splitlines():
        if not line.startswith("RUN "):
            continue
        words = [w for w in shlex.split(line)[1:] if not w.startswith("--mount=")]
        if words[:1] == ["uv"]:
            commands.append(words)
    return commands


def workflow_uv_syncs(workflow: str) -> list[list[str]]:
    steps = [
        step
        for job in yaml.safe_load(workflow)["jobs"].values()
        for step in job["steps"]
    ]
    return [
        shlex.split(step["run"])
        for step in steps
        if re.match(r"uv sync\b", step.get("run", ""))
    ]


def test_the_image_and_ci_install_the_lock_and_nothing_else(cookies: Any) -> None:
    project = Path(cookies.bake(extra_context={"backend": "none"}).project_path)
    dockerfile = (project / "Dockerfile").read_text()
    workflow = (project / ".github" / "workflows" / "ci.yml").read_text()

    builds = dockerfile_uv_commands(dockerfile)
    installs = workflow_uv_syncs(workflow)

    assert [command[:2] for command in builds] == [["uv", "sync"]] * 2
    assert len(installs) == 2
    assert all("--locked" in command for command in builds + installs)
    assert "COPY pyproject.toml uv.lock README.md ./" in dockerfile
    assert "--mount=type=cache,target=/root/.cache/uv" in dockerfile


@pytest.mark.generated
def test_a_stale_lock_fails_the_image_build_and_ci(output_dir: Path) -> None:
    project = generate(output_dir, Combination("redis", "console", "none", PYTHON))
    python = interpreter(PYTHON)
    first_sync = uv(project, "sync", "--python", python)
    assert first_sync.returncode == 0, first_sync.stderr
    builds = dockerfile_uv_commands((project / "Dockerfile").read_text())
    installs = workflow_uv_syncs(
        (project / ".github" / "workflows" / "ci.yml").read_text()
    )
    steps = [*builds, installs[0]]
    for step in steps:  # the lock uv wrote at the first sync installs as it is
        result = uv(project, *step[1:], environment={"UV_PYTHON": python})
        assert result.returncode == 0, result.stderr

    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '"pydantic>=2.7,<3",', '"pydantic>=2.7,<3",\n    "httpx>=0.27",', 1
        )
    )
    assert "httpx" in pyproject.read_text()

    for step in steps:
        result = uv(project, *step[1:], environment={"UV_PYTHON": python})
        assert result.returncode != 0, shlex.join(step)
        assert "needs to be updated" in result.stderr, result.stderr

"""Workflows and Dependabot, the generated project's and the template's own: valid
against their schemas, actions pinned by commit, and `zizmor --offline` clean."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import run_cookiecutter
from tests.template import BROKERS, TEMPLATE_DIR

TOOLS = Path(sys.executable).parent
# `uses: owner/action@<40 hex digits>  # vX.Y.Z`: the commit, and the release it is.
PINNED = re.compile(r"^\s+- uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+$")
ECOSYSTEMS = {"uv", "docker", "docker-compose", "github-actions", "pre-commit"}
GENERATED = {"ci.yml", "stack.yml"}


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


def check_schema(schema: str, *files: Path) -> None:
    result = run(
        str(TOOLS / "check-jsonschema"), "--builtin-schema", schema,
        *map(str, files), cwd=TEMPLATE_DIR,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def assert_zizmor_clean(repository: Path) -> None:
    """Every finding fails, whatever its severity (the exit code says so)."""
    result = run(str(TOOLS / "zizmor"), "--offline", ".", cwd=repository)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report." in result.stdout


def assert_actions_pinned(workflow: Path) -> None:
    text = workflow.read_text()
    uses = [line for line in text.splitlines() if "uses:" in line]
    assert uses
    for line in uses:
        assert PINNED.match(line), f"{workflow.name}: {line.strip()}"
    for job in yaml.safe_load(text)["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_generated_workflows_are_pinned_and_zizmor_clean(tmp_path: Path) -> None:
    projects = []
    for broker in BROKERS:  # each workflow starts its broker
        result = run_cookiecutter(tmp_path / broker, f"broker={broker}", "backend=none")
        assert result.returncode == 0, result.stderr
        projects.extend((tmp_path / broker).iterdir())
    workflows = {p: sorted(p.glob(".github/workflows/*.yml")) for p in projects}
    assert {w.name for found in workflows.values() for w in found} == GENERATED

    check_schema("vendor.github-workflows", *itertools.chain(*workflows.values()))
    for project, found in workflows.items():
        for workflow in found:
            assert_actions_pinned(workflow)
            assert_bounded(workflow)
        assert_zizmor_clean(project)


def assert_bounded(workflow: Path) -> None:
    """Read-only by default, and a time limit on every job."""
    loaded = yaml.safe_load(workflow.read_text())
    assert loaded["permissions"] == {"contents": "read"}, workflow.name
    for name, job in loaded["jobs"].items():
        assert "permissions" not in job, f"{workflow.name}: {name}"
        assert 0 < job["timeout-minutes"] <= 60, f"{workflow.name}: {name}"


def test_generated_dependabot_covers_every_pinned_kind_grouped(cookies: Any) -> None:
    project = Path(cookies.bake(extra_context={"backend": "tempo"}).project_path)
    config_file = project / ".github" / "dependabot.yml"

    check_schema("vendor.dependabot", config_file)
    updates = yaml.safe_load(config_file.read_text())["updates"]
    assert {update["package-ecosystem"] for update in updates} == ECOSYSTEMS
    for update in updates:
        # One pull request per kind and week, not one per dependency.
        assert update["schedule"]["interval"] == "weekly"
        assert [group["patterns"] for group in update["groups"].values()] == [["*"]]
        directories = update.get("directories", [update.get("directory")])
        assert all((project / d.lstrip("/")).is_dir() for d in directories)
    (compose,) = [u for u in updates if u["package-ecosystem"] == "docker-compose"]
    # (The Kubernetes manifests name the service's own image, which no bot pins.)
    images = {
        f.parent
        for f in project.rglob("*.yaml")
        if "image:" in f.read_text() and "kubernetes" not in f.parts
    }
    assert images <= {project / d.lstrip("/") for d in compose["directories"]}


def test_the_template_runs_its_suite_on_github_pinned_and_zizmor_clean() -> None:
    workflows = sorted((TEMPLATE_DIR / ".github" / "workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["stacks.yml", "tests.yml"]

    check_schema("vendor.github-workflows", *workflows)
    for workflow in workflows:
        assert_actions_pinned(workflow)
        assert_bounded(workflow)
    assert_zizmor_clean(TEMPLATE_DIR)
    tests = TEMPLATE_DIR / ".github" / "workflows" / "tests.yml"
    steps = yaml.safe_load(tests.read_text())["jobs"]["tests"]
    assert {"rabbitmq", "redis", "nats"} <= set(steps["services"])
    assert any(step.get("run") == ".ci/run" for step in steps["steps"])

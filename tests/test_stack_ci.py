"""What CI runs on real engines (GitHub's runners have Docker; these machines have no
container engine): each generated project's stack job and the stack checker it runs,
the template's matrix of baked stacks, and its kind job. Checked here for all that
can be checked without an engine: the jobs' steps, the matrix against
combinations.py, and the checker's addresses against the stack it asks.

(Schemas, pinning, time limits and zizmor: test_automation.py. The checker's own
logic: the generated project's tests/test_stack_check*.py.)"""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.combinations import STACKS
from tests.compose import load_stack
from tests.conftest import run_cookiecutter
from tests.kubernetes import load_manifests
from tests.template import (
    BACKEND_TABLE,
    BACKENDS,
    BROKERS,
    EXPORTERS,
    TEMPLATE_DIR,
    refusal,
)

README = (TEMPLATE_DIR / "README.md").read_text()
STACKS_WORKFLOW = TEMPLATE_DIR / ".github" / "workflows" / "stacks.yml"
PACKAGE = "my_faststream_service"  # the default project's, which CI bakes
COMPOSE_UP = "docker compose up --build --wait --wait-timeout 300"
COMPOSE_DOWN = "docker compose down --volumes --remove-orphans"


def jobs(workflow: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(workflow.read_text())["jobs"])


def commands(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def always(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if step.get("if") == "always()"]


def bake(output_dir: Path, *answers: str) -> Path:
    result = run_cookiecutter(output_dir, *answers)
    assert result.returncode == 0, result.stderr
    (project,) = output_dir.iterdir()
    return project


def assert_starts_checks_and_removes(job: dict[str, Any], check: str) -> None:
    """Up and healthy, then checked, then removed whatever happened."""
    run = commands(job)
    assert run.index(COMPOSE_UP) < run.index(check)
    assert always(job) == [COMPOSE_DOWN]
    assert run[-1] == COMPOSE_DOWN


def test_the_stack_matrix_is_combinations_stacks() -> None:
    matrix = jobs(STACKS_WORKFLOW)["stack"]["strategy"]["matrix"]

    assert matrix == {"include": [c.context for c in STACKS]}
    assert len(set(STACKS)) == len(STACKS)
    assert {c.broker for c in STACKS} == set(BROKERS)
    assert {c.exporter for c in STACKS} == set(EXPORTERS)
    assert {c.backend for c in STACKS} == set(BACKENDS)
    assert all(refusal(c.exporter, c.backend) is None for c in STACKS)


def test_the_readme_lists_the_stacks_ci_runs() -> None:
    section = README.split("## What CI runs for real", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^  \| (\w+) \| ([\w-]+) \| (\w+)[^|]* \| ([\d.]+) \|$", section, re.M
    )

    assert rows == [(c.broker, c.exporter, c.backend, c.python_version) for c in STACKS]


def test_each_baked_stack_is_started_checked_and_removed() -> None:
    job = jobs(STACKS_WORKFLOW)["stack"]
    (bake_step,) = [step for step in job["steps"] if step.get("name") == "Bake"]

    answers = [w for w in shlex.split(bake_step["run"]) if "=" in w]
    assert answers == [f"{key}=${key.upper()}" for key in STACKS[0].context]
    assert bake_step["env"] == {
        key.upper(): f"${{{{ matrix.{key} }}}}" for key in STACKS[0].context
    }
    assert job["strategy"]["fail-fast"] is False
    assert_starts_checks_and_removes(
        job, f"uv run python -m {PACKAGE}.stack_check --deadline 120"
    )


def test_the_generated_stack_job_runs_the_projects_own_checker(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path)
    (job,) = jobs(project / ".github" / "workflows" / "stack.yml").values()
    template_job = jobs(STACKS_WORKFLOW)["stack"]

    check = f"uv run python -m {PACKAGE}.stack_check --deadline 120"
    assert_starts_checks_and_removes(job, check)
    assert "uv sync --locked" in commands(job)
    # The template's matrix runs the stack as the project's own job does.
    shared = [c for c in commands(job) if c.startswith(("docker", "uv run"))]
    assert shared == [c for c in commands(template_job) if c in shared]
    assert (project / "src" / PACKAGE / "stack_check.py").is_file()


def checker_constants(project: Path) -> dict[str, Any]:
    """The stack checker's module-level constants, and its trace store's fields."""
    tree = ast.parse((project / "src" / PACKAGE / "stack_check.py").read_text())
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            assert isinstance(target, ast.Name)
            value = node.value
            if isinstance(value, ast.Call):  # TraceStore(name=..., ...)
                constants[target.id] = {
                    k.arg: ast.literal_eval(k.value) for k in value.keywords
                }
            elif isinstance(value, ast.Constant):
                constants[target.id] = value.value
    return constants


def published(project: Path, port: int) -> bool:
    """Whether the stack publishes `port` on 127.0.0.1 as the same port."""
    mapping = f"127.0.0.1:{port}:{port}"
    return any(
        str(entry) == mapping
        for service in load_stack(project).values()
        for entry in service.spec.get("ports", [])
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_checker_asks_where_the_stack_answers(tmp_path: Path, backend: str) -> None:
    project = bake(tmp_path, f"backend={backend}")
    constants = checker_constants(project)
    grafana = project / "compose" / "grafana"
    datasources = yaml.safe_load((grafana / "datasources.yaml").read_text())
    uids = {source["uid"] for source in datasources["datasources"]}
    dashboard = json.loads((grafana / "faststream.json").read_text())

    assert published(project, urlsplit(constants["GRAFANA"]).port or 80)
    assert constants["PROMETHEUS_UID"] in uids
    assert constants["DASHBOARD_UID"] == dashboard["uid"]
    traces = BACKEND_TABLE[backend]["traces"]
    trace_tests = sorted(p.name for p in (project / "tests").glob("*trace*.py"))
    if traces is None:
        assert constants["TRACES"] is None
        assert trace_tests == []
        return
    assert constants["TRACES"] == {
        "name": traces["store"],
        "api": traces["api"],
        "path": traces["path"],
        "span_name_key": traces["span_name_key"],
    }
    assert trace_tests == ["test_stack_check_traces.py", "trace_answers.py"]
    api = urlsplit(traces["api"])
    assert published(project, api.port or 80)
    if api.port == urlsplit(constants["GRAFANA"]).port:  # through Grafana's proxy
        assert api.path.rsplit("/", 1)[1] in uids


def test_the_kind_job_applies_the_manifests_with_the_broker_they_expect(
    tmp_path: Path,
) -> None:
    job = jobs(STACKS_WORKFLOW)["kind"]
    (bake_step,) = [step for step in job["steps"] if step.get("name") == "Bake"]
    answers = [word for word in shlex.split(bake_step["run"]) if "=" in word]
    project = bake(tmp_path, *answers)
    manifests = load_manifests(project)
    image = manifests.container["image"]
    (secret,) = [
        source["secretRef"]["name"]
        for source in manifests.container["envFrom"]
        if "secretRef" in source
    ]
    broker = urlsplit(manifests["ConfigMap"]["data"]["BROKER_URL"])
    compose_broker = load_stack(project)[str(broker.hostname)]
    deployment = manifests["Deployment"]["metadata"]["name"]
    run = "\n".join(commands(job))

    assert f"docker build --tag {image} ." in run
    assert f"kind load docker-image --name manifests {image}" in run
    # The broker the manifests name, with the image compose runs.
    assert (
        f"kubectl create deployment {broker.hostname} "
        f"--image={compose_broker.spec['image']} --port={broker.port}"
    ) in run
    assert f"kubectl expose deployment {broker.hostname} --port={broker.port}" in run
    assert f"kubectl create secret generic {secret}\n" in run
    assert "kubectl apply -k kubernetes/" in run
    assert f"kubectl rollout status deployment/{deployment} " in run
    assert f"kubectl port-forward deployment/{deployment} 8000:8000 &" in run
    assert "http://127.0.0.1:8000/health/ready" in run
    assert always(job) == ["kind delete cluster --name manifests"]

"""The README's update paths, end to end: cruft create, check and update against a git
copy of the template, and plain cookiecutter regenerating from the answers a project
keeps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cookiecutter
from tests.template import TEMPLATE_DIR
from tests.test_readme import TEMPLATE_REFERENCE, command

TOOLS = Path(sys.executable).parent
GIT_IDENTITY = {
    f"GIT_{role}_{part}": value
    for role in ("AUTHOR", "COMMITTER")
    for part, value in (("NAME", "Template Tests"), ("EMAIL", "tests@example.com"))
}
CHANGED_LABEL = "Apache Kafka (aiokafka, changed upstream)"


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **GIT_IDENTITY},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def commit_all(directory: Path, message: str) -> None:
    for git in (["add", "--all"], ["commit", "--quiet", "-m", message]):
        result = run("git", *git, cwd=directory)
        assert result.returncode == 0, result.stderr


def git_copy_of_the_template(destination: Path) -> Path:
    """The template's files as a clone would have them, committed in a new repo."""
    listed = run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
        cwd=TEMPLATE_DIR,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    for name in filter(None, listed.stdout.split("\0")):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    assert run("git", "init", "--quiet", cwd=destination).returncode == 0
    commit_all(destination, "template")
    return destination


def change_the_template(template: Path) -> None:
    """An edit to a generated file and one to a table in cookiecutter.json."""
    gitignore = template / "{{cookiecutter.project_slug}}" / ".gitignore"
    gitignore.write_text(gitignore.read_text() + "\n# Added by the template\n.tox/\n")
    context_file = template / "cookiecutter.json"
    context = json.loads(context_file.read_text())
    context["_brokers"]["kafka"]["label"] = CHANGED_LABEL
    context_file.write_text(json.dumps(context, indent=2, ensure_ascii=False) + "\n")
    commit_all(template, "change")


def cruft(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(str(TOOLS / "cruft"), *arguments, cwd=cwd)


def test_cruft_creates_checks_and_updates_a_project(tmp_path: Path) -> None:
    template = git_copy_of_the_template(tmp_path / "template")
    output = tmp_path / "projects"
    output.mkdir()

    created = cruft(
        "create", "--no-input", str(template), "--output-dir", str(output),
        cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, created.stdout + created.stderr
    project = output / "my-faststream-service"
    assert (project / ".cruft.json").is_file()
    assert "Apache Kafka (aiokafka)" in (project / "README.md").read_text()
    assert run("git", "init", "--quiet", cwd=project).returncode == 0
    commit_all(project, "generated")
    up_to_date = cruft("check", cwd=project)
    assert up_to_date.returncode == 0, up_to_date.stdout + up_to_date.stderr

    change_the_template(template)

    behind = cruft("check", cwd=project)
    assert behind.returncode != 0
    assert "out of date" in behind.stdout
    updated = cruft("update", "--skip-apply-ask", cwd=project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (project / ".gitignore").read_text().endswith(".tox/\n")
    assert CHANGED_LABEL in (project / "README.md").read_text()
    assert cruft("check", cwd=project).returncode == 0


def test_cruft_create_refuses_bad_answers_with_the_hooks_message(
    tmp_path: Path,
) -> None:
    template = git_copy_of_the_template(tmp_path / "template")
    output = tmp_path / "projects"
    output.mkdir()

    refused = cruft(
        "create", "--no-input", str(template), "--output-dir", str(output),
        "--extra-context", json.dumps({"package_name": "class"}),
        cwd=tmp_path,
    )  # fmt: skip

    assert refused.returncode != 0
    assert "ERROR: package_name 'class' is a Python keyword" in refused.stderr
    assert list(output.iterdir()) == []


def test_the_readme_recipe_regenerates_a_project_from_the_answers_it_keeps(
    output_dir: Path,
) -> None:
    """For a project made with plain cookiecutter: nothing but the project's own
    `.cookiecutter.json` (cookiecutter run by this interpreter instead of uvx)."""
    recipe = command("uvx cookiecutter --replay-file")
    assert TEMPLATE_REFERENCE in recipe
    answers = ["project_name=Order Pricing", "broker=nats", "backend=none"]
    assert run_cookiecutter(output_dir, *answers).returncode == 0
    project = output_dir / "order-pricing"
    kept = json.loads((project / ".cookiecutter.json").read_text())["cookiecutter"]
    assert kept["project_name"] == "Order Pricing"
    assert kept["broker"] == "nats"
    assert not [key for key in kept if key.startswith("_")]
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    (project / "README.md").write_text("edited\n")

    regenerated = run(
        "bash", "-c",
        recipe.replace(TEMPLATE_REFERENCE, str(TEMPLATE_DIR)).replace(
            "uvx cookiecutter", f"{sys.executable} -m cookiecutter"
        ),
        cwd=project,
    )  # fmt: skip

    assert regenerated.returncode == 0, regenerated.stderr
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    assert after == before


def test_the_suite_keeps_to_its_own_cookiecutter_config(
    output_dir: Path,
    cookiecutter_config: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """conftest.py's config: replays land in a temporary directory of the suite's."""
    replay_dir = Path(yaml.safe_load(cookiecutter_config.read_text())["replay_dir"])

    assert run_cookiecutter(output_dir, "backend=none").returncode == 0

    assert (replay_dir / f"{TEMPLATE_DIR.name}.json").is_file()
    assert replay_dir.is_relative_to(tmp_path_factory.getbasetemp())

"""Every broker x exporter x backend: baked, refused with its reason, or checked to be a
clean project (rendered, parseable, compiled, linted and formatted)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from tests.template import (
    BACKENDS,
    BROKER_TABLE,
    BROKERS,
    CONTEXT,
    EXPORTER_TABLE,
    EXPORTERS,
    all_combinations,
    refusal,
)
from tests.written_for import problems

# Jinja left behind; `${{ ... }}` is GitHub Actions' own syntax and belongs there.
LEFTOVER_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")

COPIED_AS_IS = frozenset(CONTEXT["_copy_without_render"])

MATRIX = [
    pytest.param(broker, exporter, backend, id=f"{broker}-{exporter}-{backend}")
    for broker, exporter, backend in all_combinations()
]


def text_files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file()]


def ruff(project: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def assert_clean_project(
    project: Path, broker: str, exporter: str, package: str = "my_faststream_service"
) -> None:
    exporter_module = str(EXPORTER_TABLE[exporter]["module"])

    for path in text_files(project):
        text = path.read_text()
        # Grafana's and Prometheus' own `{{ }}` templates are copied as they are.
        if path.relative_to(project).as_posix() not in COPIED_AS_IS:
            leftover = LEFTOVER_JINJA.search(text)
            assert leftover is None, f"{path.relative_to(project)}: {leftover}"
        if path.suffix == ".py":
            compile(text, str(path), "exec")

    pyproject: dict[str, Any] = tomllib.loads((project / "pyproject.toml").read_text())
    dependencies = " ".join(pyproject["project"]["dependencies"])
    assert f"faststream[{BROKER_TABLE[broker]['extra']},otel,cli]" in dependencies
    # OTLP gRPC projects also have OTLP HTTP's package, to push metrics over HTTP.
    chosen = cast("list[str]", EXPORTER_TABLE[exporter]["packages"])
    for spec in EXPORTER_TABLE.values():
        for package_spec in cast("list[str]", spec["packages"]):
            assert (package_spec in dependencies) == (package_spec in chosen), (
                package_spec
            )

    for name in (".pre-commit-config.yaml", ".github/workflows/ci.yml"):
        assert isinstance(yaml.safe_load((project / name).read_text()), dict), name

    exporters = sorted(
        p.stem for p in (project / "src" / package / "exporters").glob("*.py")
    )
    assert exporters == sorted(["__init__", exporter_module])
    exporter_tests = sorted(
        p.name for p in (project / "tests").glob("test_exporter_*.py")
    )
    assert exporter_tests == [f"test_exporter_{exporter_module}.py"]

    assert problems(project, broker) == []

    lint = ruff(project, "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = ruff(project, "format", "--check", "--no-cache", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.parametrize(("broker", "exporter", "backend"), MATRIX)
def test_every_combination_bakes_clean_or_is_refused(
    cookies: Any,
    capfd: pytest.CaptureFixture[str],
    broker: str,
    exporter: str,
    backend: str,
) -> None:
    result = cookies.bake(
        extra_context={"broker": broker, "exporter": exporter, "backend": backend}
    )
    reason = refusal(exporter, backend)

    if reason is not None:
        assert result.exit_code != 0
        assert f"ERROR: {reason}" in capfd.readouterr().err
        assert result.project_path is None or not result.project_path.exists()
        return

    assert result.exit_code == 0, result.exception
    assert_clean_project(result.project_path, broker, exporter)


UNUSUAL_ANSWERS = {
    "project_name": 'Zoë\'s "Order" Service \\ [pricing] # 2',
    "description": 'Prices orders; says "hi", C:\\temp, key = "value" # not a comment',
    "author": "O'Brien, Åsa <asa@example.com>",
    "project_slug": "order-fulfilment-pricing-service-abcdefg",
    "package_name": "order_fulfilment_pricing_service_abcdefg",
}


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_unusual_answers_and_the_longest_names_bake_clean(
    cookies: Any, exporter: str
) -> None:
    backend = "none" if exporter == "console" else "jaeger"
    broker = BROKERS[EXPORTERS.index(exporter) % len(BROKERS)]

    result = cookies.bake(
        extra_context={
            **UNUSUAL_ANSWERS,
            "broker": broker,
            "exporter": exporter,
            "backend": backend,
        }
    )

    assert result.exit_code == 0, result.exception
    assert_clean_project(
        result.project_path, broker, exporter, UNUSUAL_ANSWERS["package_name"]
    )
    project = tomllib.loads((result.project_path / "pyproject.toml").read_text())
    assert project["project"]["description"] == UNUSUAL_ANSWERS["description"]
    assert project["project"]["authors"] == [{"name": UNUSUAL_ANSWERS["author"]}]


@pytest.mark.parametrize("name", ["Alpha", "Tests Runner", "User Service", "Zeta"])
def test_package_names_either_side_of_tests_bake_clean(cookies: Any, name: str) -> None:
    """The tests import the package, then their own helpers: the import order holds
    whether the package sorts before or after `tests`."""
    result = cookies.bake(extra_context={"project_name": name, "backend": "none"})

    assert result.exit_code == 0, result.exception
    package = result.project_path.name.replace("-", "_")
    assert_clean_project(result.project_path, "kafka", "otlp-grpc", package)


def test_the_matrix_covers_every_choice() -> None:
    accepted = [c for c in all_combinations() if refusal(c[1], c[2]) is None]

    assert {c[0] for c in accepted} == set(BROKERS)
    assert {c[1] for c in accepted} == set(EXPORTERS)
    assert {c[2] for c in accepted} == set(BACKENDS)
    assert len(all_combinations()) == 6 * 5 * 5
    # Refused, for 6 brokers: console with any of 4 backends, and jaeger and zipkin
    # with lgtm (which takes all three signals over OTLP).
    assert len(accepted) == 150 - 6 * 4 - 6 * 2

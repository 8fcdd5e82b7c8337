"""Bad answers given on the command line: refused with a message that says what to do,
and nothing left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cookiecutter


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        pytest.param(
            ["project_name=123 Service"],
            "package_name '123_service' is not a valid Python identifier",
            id="name-starting-with-a-digit",
        ),
        pytest.param(
            ["project_name=FastStream"],
            "package_name 'faststream' would shadow",
            id="name-shadowing-a-dependency",
        ),
        pytest.param(
            ["package_name=import"],
            "package_name 'import' is a Python keyword",
            id="keyword-package",
        ),
        pytest.param(
            ["project_slug=My Service"],
            "project_slug 'My Service' must be lower-case",
            id="slug-with-space",
        ),
        pytest.param(
            ["exporter=console"],
            "exporter 'console' prints spans to stdout, so backend 'jaeger'",
            id="console-with-a-backend",
        ),
        pytest.param(
            ["exporter=otlp-http", "backend=zipkin"],
            "Zipkin only accepts its own span format",
            id="otlp-to-zipkin",
        ),
    ],
)
def test_refused_answers_leave_no_output(
    output_dir: Path, answers: list[str], says: str
) -> None:
    result = run_cookiecutter(output_dir, *answers)

    assert result.returncode != 0
    assert says in result.stderr
    assert list(output_dir.iterdir()) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("broker", "kafkaa"),
        ("exporter", "jaeger-grpc"),
        ("backend", "grafana"),
        ("python_version", "3.9"),
    ],
)
def test_unknown_choices_list_the_valid_ones(
    output_dir: Path, key: str, value: str
) -> None:
    result = run_cookiecutter(output_dir, f"{key}={value}")

    assert result.returncode != 0
    assert f"{value} provided for choice variable {key}, but the choices are" in (
        result.stderr
    )
    assert list(output_dir.iterdir()) == []

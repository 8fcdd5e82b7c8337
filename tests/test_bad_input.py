"""Bad answers given on the command line: refused with a message that says what to do,
and nothing left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cookiecutter
from tests.template import CONTEXT


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        pytest.param(
            ["package_name=123_service"],
            "package_name '123_service' is not a valid Python identifier",
            id="package-starting-with-a-digit",
        ),
        pytest.param(
            ["project_name=FastStream"],
            "package_name 'faststream' would shadow the module of that name that the "
            "project imports; choose another name (for example 'faststream_service'). "
            "It was derived from project_name 'FastStream': give another "
            "project_name, or a package_name.",
            id="name-shadowing-a-dependency",
        ),
        pytest.param(
            ["package_name=import"],
            "package_name 'import' is a Python keyword",
            id="keyword-package",
        ),
        pytest.param(
            ["project_name=😀 !"],
            "project_slug '-' has no letters or digits: project_name '😀 !' has none",
            id="name-with-nothing-to-slugify",
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
            ["description={{ 7*7 }}"],
            "description '{{ 7*7 }}' contains '{{', which cookiecutter reads as "
            "Jinja template syntax (it became '49')",
            id="jinja-expression",
        ),
        pytest.param(
            ["author={% raw %}{{ x }}{% endraw %}"],
            "author '{% raw %}{{ x }}{% endraw %}' contains '{{'",
            id="jinja-raw-block",
        ),
        pytest.param(
            ["project_name=Orders\nimport os"],
            "project_name 'Orders\\nimport os' contains a control character (U+000A)",
            id="newline",
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
        ("broker", "Kafka"),
        ("broker", " kafka"),
        ("broker", ""),
        ("exporter", "jaeger-grpc"),
        ("exporter", "otlp_grpc"),
        ("backend", "grafana"),
        ("backend", "None"),
        ("python_version", "3.9"),
        ("python_version", "3.10"),
        ("python_version", "3.11.7"),
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


def test_a_replayed_unknown_choice_is_refused_by_the_hook(
    output_dir: Path, tmp_path: Path
) -> None:
    """A replay file skips cookiecutter's own check of the choices; the hook's
    applies."""
    answers = {
        key: value[0] if isinstance(value, list) and not key.startswith("_") else value
        for key, value in CONTEXT.items()
        if not key.startswith("__")
    }
    replay = tmp_path / "replay.json"
    replay.write_text(
        json.dumps(
            {
                "cookiecutter": {
                    **answers,
                    "project_slug": "order-service",
                    "package_name": "order_service",
                    "broker": "Kafka",
                }
            }
        )
    )

    result = run_cookiecutter(output_dir, "--replay-file", str(replay), no_input=False)

    assert result.returncode != 0
    assert (
        "ERROR: broker 'Kafka' is not one of the choices: "
        "confluent, kafka, mqtt, nats, rabbit, redis." in result.stderr
    )
    assert list(output_dir.iterdir()) == []

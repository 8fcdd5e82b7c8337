"""Every broker in `_brokers` has every file a broker needs: adding one to the table
without them fails here, naming what is missing (README.md, "To add a broker")."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from tests.combinations import INTEGRATION
from tests.template import BROKER_TABLE, BROKERS, CONTEXT, TEMPLATE_DIR

PROJECT = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
PACKAGE = "my_package"


def rendered_paths(broker: str) -> set[str]:
    """The project's file paths as cookiecutter names them for `broker` (a name
    that renders empty is not generated)."""
    context = {"cookiecutter": {**CONTEXT, "broker": broker, "package_name": PACKAGE}}
    paths = set()
    for path in PROJECT.rglob("*"):
        if path.is_file():
            name = jinja2.Template(str(path.relative_to(PROJECT))).render(context)
            if not name.endswith("/") and Path(name).name:
                paths.add(name)
    return paths


@pytest.mark.parametrize("broker", list(BROKER_TABLE))
def test_a_broker_has_all_its_files(broker: str) -> None:
    table = BROKER_TABLE[broker]
    paths = rendered_paths(broker)
    needed = [
        f"src/{PACKAGE}/topology.py",
        f"compose/{table['compose_service']}.yaml",
        *(str(path).format(package=PACKAGE) for path in table["files"]),  # type: ignore[attr-defined]
    ]

    assert [path for path in needed if path not in paths] == []


@pytest.mark.parametrize("broker", list(BROKER_TABLE))
def test_a_broker_has_one_topology(broker: str) -> None:
    topologies = [p for p in rendered_paths(broker) if p.endswith("/topology.py")]

    assert topologies == [f"src/{PACKAGE}/topology.py"]


def test_every_broker_is_offered_labelled_and_tested_on_its_server() -> None:
    labels = CONTEXT["__prompts__"]["broker"]

    assert set(BROKERS) == set(BROKER_TABLE)
    assert set(labels) - {"__prompt__"} == set(BROKER_TABLE)
    assert {combination.broker for combination in INTEGRATION} == set(BROKER_TABLE)

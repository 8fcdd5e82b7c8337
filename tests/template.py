"""What the tests know of the template: its options, its hooks, its interpreters."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent.parent
CONTEXT = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())

BROKERS: list[str] = CONTEXT["broker"]
EXPORTERS: list[str] = CONTEXT["exporter"]
BACKENDS: list[str] = CONTEXT["backend"]
PYTHON_VERSIONS: list[str] = CONTEXT["python_version"]
BROKER_TABLE: dict[str, dict[str, object]] = CONTEXT["_brokers"]
EXPORTER_TABLE: dict[str, dict[str, object]] = CONTEXT["_exporters"]
BACKEND_TABLE: dict[str, dict[str, Any]] = CONTEXT["_backends"]

# Where the README's per-broker paragraphs live (cookiecutter's loader includes them).
INCLUDES_DIR = TEMPLATE_DIR / "templates"


def broker_prose(broker: str, name: str) -> str:
    """One of a broker's README paragraphs (`delivery.md`, ...), as it is rendered
    (a folder shared by two brokers may say `{% if cookiecutter.broker == ... %}`):
    without its file's trailing newline."""
    folder = INCLUDES_DIR / str(BROKER_TABLE[broker]["prose_folder"])
    text = jinja2.Template((folder / name).read_text(), keep_trailing_newline=True)
    return text.render(cookiecutter={**CONTEXT, "broker": broker}).strip()


def load_hook(name: str) -> ModuleType:
    """A hook file imported as a module; its Jinja sits in a string `main` is given,
    so importing it renders nothing and runs nothing."""
    spec = importlib.util.spec_from_file_location(
        name, TEMPLATE_DIR / "hooks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRE_GEN = load_hook("pre_gen_project")


def all_combinations() -> list[tuple[str, str, str]]:
    return list(itertools.product(BROKERS, EXPORTERS, BACKENDS))


def refusal(exporter: str, backend: str) -> str | None:
    """The hook's reason for refusing an exporter and backend pair, if it does."""
    return PRE_GEN.REFUSED_COMBINATIONS.get((exporter, backend))


def interpreter(version: str) -> str:
    """What to give uv for a Python version: a local pyenv build where there is one
    (uv does not find those by version alone), else the version, for uv to find or
    download."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    builds = sorted(root.glob(f"{version}.*/bin/python{version}"))
    return str(builds[-1]) if builds else version

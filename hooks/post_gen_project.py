"""Delete the files of the options that were not chosen.

Each exporter lives in whole files (its factory module and its test), and so does
each broker's and each backend's part of the compose stack; the generated project
keeps only the chosen ones, so it reads as if written for them alone.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any


def exporter_files(project: Path, package: str, module: str) -> list[Path]:
    """Per-exporter files: the factory module and its test."""
    return [
        project / "src" / package / "exporters" / f"{module}.py",
        project / "tests" / f"test_exporter_{module}.py",
    ]


def broker_files(project: Path, package: str, broker: dict[str, Any]) -> list[Path]:
    """Per-broker files: its compose service and modules only it uses."""
    return [
        project / "compose" / f"{broker['compose_service']}.yaml",
        *(project / path.format(package=package) for path in broker["files"]),
    ]


def backend_files(project: Path, backend: str) -> list[Path]:
    """Per-backend files: its compose services and the configuration they mount."""
    compose = project / "compose"
    if backend == "none":
        return []
    if backend == "tempo":
        return [compose / "tempo.yaml", compose / "tempo"]
    return [compose / f"{backend}.yaml"]


def unchosen_files(project: Path, answers: dict[str, Any]) -> list[Path]:
    package = str(answers["package_name"])
    exporters = answers["_exporters"]
    chosen_exporter = exporters[answers["exporter"]]["module"]
    # Test helpers shared by some exporters stay if the chosen one uses them.
    support = {path for spec in exporters.values() for path in spec["test_support"]}
    chosen_support = set(exporters[answers["exporter"]]["test_support"])
    brokers = answers["_brokers"]
    chosen_broker = brokers[answers["broker"]]
    chosen_files = set(broker_files(project, package, chosen_broker))
    exporter_modules = {spec["module"] for spec in exporters.values()}
    return [
        *(
            path
            for module in sorted(exporter_modules - {chosen_exporter})
            for path in exporter_files(project, package, module)
        ),
        *(project / path for path in sorted(support - chosen_support)),
        *sorted(
            {
                path
                for spec in brokers.values()
                for path in broker_files(project, package, spec)
            }
            - chosen_files
        ),
        *(
            path
            for backend in answers["_backends"]
            if backend != answers["backend"]
            for path in backend_files(project, backend)
        ),
    ]


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


def main(project: Path, answers: dict[str, Any]) -> int:
    for path in unchosen_files(project, answers):
        remove(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))

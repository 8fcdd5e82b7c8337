"""Delete the files of the options that were not chosen.

Each exporter lives in whole files (its factory module and its test); the generated
project keeps only the chosen one, so it reads as if written for that exporter alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def exporter_files(project: Path, package: str, module: str) -> list[Path]:
    """Per-exporter files in the project: the factory module and its test."""
    return [
        project / "src" / package / "exporters" / f"{module}.py",
        project / "tests" / f"test_exporter_{module}.py",
    ]


def unchosen_files(project: Path, answers: dict[str, object]) -> list[Path]:
    exporters = answers["_exporters"]
    assert isinstance(exporters, dict)
    chosen = exporters[answers["exporter"]]["module"]
    package = str(answers["package_name"])
    return [
        path
        for spec in exporters.values()
        if spec["module"] != chosen
        for path in exporter_files(project, package, spec["module"])
    ]


def main(project: Path, answers: dict[str, object]) -> int:
    for path in unchosen_files(project, answers):
        path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))

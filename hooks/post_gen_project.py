"""Delete the files of the options that were not chosen, keep the answers, and say
what to run next.

Each exporter lives in whole files (its factory module and its test), and so does
each broker's and each backend's part of the compose stack, and so does the
OpenTelemetry Collector that carries spans to a backend that cannot receive the
exporter's format; the generated project keeps only the chosen ones, so it reads as
if written for them alone.
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
    if backend in ("tempo", "lgtm"):
        return [compose / f"{backend}.yaml", compose / backend]
    return [compose / f"{backend}.yaml"]


def monitoring_files(project: Path) -> list[Path]:
    """Prometheus and Grafana of their own, for backends that bring neither (the
    dashboard and the alert rules stay: a backend with Grafana shows the one, and
    the other is for your Prometheus)."""
    compose = project / "compose"
    return [
        compose / "monitoring.yaml",
        compose / "prometheus" / "prometheus.yml",
        compose / "grafana" / "datasources.yaml",
        compose / "grafana" / "dashboards.yaml",
    ]


def collector_files(project: Path) -> list[Path]:
    """The OpenTelemetry Collector between an exporter and a backend that cannot
    receive it: its compose service and its configuration."""
    compose = project / "compose"
    return [compose / "otel-collector.yaml", compose / "otel-collector"]


def needs_collector(answers: dict[str, Any]) -> bool:
    backend = answers["_backends"][answers["backend"]]
    return answers["exporter"] in backend["collector_for"]


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
        *([] if needs_collector(answers) else collector_files(project)),
        *(
            monitoring_files(project)
            if answers["_backends"][answers["backend"]]["brings_grafana"]
            else []
        ),
    ]


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()


# The answers, as a replay file: `cookiecutter --replay-file .cookiecutter.json`
# regenerates the project without prompting and without any file outside it.
ANSWERS_FILE = ".cookiecutter.json"


def user_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """What was asked at the prompts: the tables and what cookiecutter or cruft add
    (`_template`, `_output_dir`, ...) start with an underscore."""
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def write_answers(project: Path, answers: dict[str, Any]) -> None:
    replay = {"cookiecutter": user_answers(answers)}
    text = json.dumps(replay, indent=2, ensure_ascii=False)
    (project / ANSWERS_FILE).write_text(text + "\n", encoding="utf-8")


def next_steps(answers: dict[str, Any]) -> str:
    slug, package = answers["project_slug"], answers["package_name"]
    return "\n".join(
        [
            f"Created {slug}. Next:",
            f"  cd {slug}",
            "  git init                  # pre-commit and cruft need a repository",
            "  uv sync                   # writes uv.lock: commit it",
            "  uv run pytest",
            f"  uv run python -m {package}.demo",
            "README.md says more (https://docs.astral.sh/uv/ to install uv).",
        ]
    )


def main(project: Path, answers: dict[str, Any]) -> int:
    for path in unchosen_files(project, answers):
        remove(path)
    write_answers(project, answers)
    print(next_steps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path.cwd(), json.loads(r"""{{ cookiecutter | tojson }}""")))

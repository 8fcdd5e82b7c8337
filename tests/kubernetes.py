"""Reading a generated project's Kubernetes manifests as `kubectl apply -k` would
take them (no kubectl or cluster here: the kustomization only lists resources, so
reading its `resources` is rendering it)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# A current Kubernetes release, and the oldest one still maintained upstream.
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")


@dataclass(frozen=True)
class Manifests:
    directory: Path
    files: list[Path]
    by_kind: dict[str, dict[str, Any]]

    def __getitem__(self, kind: str) -> dict[str, Any]:
        return self.by_kind[kind]

    @property
    def container(self) -> dict[str, Any]:
        (container,) = self["Deployment"]["spec"]["template"]["spec"]["containers"]
        return dict(container)

    @property
    def pod_labels(self) -> dict[str, str]:
        return dict(self["Deployment"]["spec"]["template"]["metadata"]["labels"])


def load_manifests(project: Path) -> Manifests:
    directory = project / "kubernetes"
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files = [directory / name for name in kustomization["resources"]]
    by_kind: dict[str, dict[str, Any]] = {}
    for path in files:
        (document,) = list(yaml.safe_load_all(path.read_text()))
        assert document["kind"] not in by_kind, f"two {document['kind']}s"
        by_kind[document["kind"]] = document
    return Manifests(directory, files, by_kind)


def kubernetes_validate(version: str, files: list[Path]) -> str:
    """`kubernetes-validate --strict` on the files; its report, failing on any error
    or warning (a kind it has no schema for is only a warning)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubernetes_validate",
            "--strict",
            "-k",
            version,
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    lines = report.splitlines()
    assert len(lines) == len(files), report
    assert all(line.startswith("INFO ") and " passed " in line for line in lines), (
        report
    )
    return report

"""What a generated project must never hold or expose: no secret in any file (broker
addresses carry no credentials, `.env.example` only placeholders), `.env` ignored by
git and by the image's build context, and a Dockerfile whose stages come from pinned
images and whose service runs as a non-root user. (Ports published on 127.0.0.1 and
Grafana's local-only anonymous access: `test_compose.py`.)"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.template import BROKERS

# A URL with a password in it, a private key.
SECRETS_ANYWHERE = [
    re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:\"'<]+:[^\s/@\"'<]+@"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]
# A secret-named variable given a value on its line, other than a `<placeholder>` or
# a boolean (`automountServiceAccountToken: false` holds no token; `secretRef:` opens
# a mapping): in settings files (commented out or not), and as a string literal in
# the service's code.
SECRET_SETTING = re.compile(
    r"^[#\s-]*\w*(PASSWORD|SECRET|TOKEN|API_KEY)\w*[ \t]*[=:][ \t]*"
    r"(?!<|(?:true|false)\b)[^\s#]+",
    re.I | re.M,
)
SECRET_IN_CODE = re.compile(r"\w*(password|secret|token)\w*\s*=\s*[\"'][^\"']+", re.I)
SECRET_VARIABLES = ("BROKER_USERNAME", "BROKER_PASSWORD")


def bake(cookies: Any, **answers: str) -> Path:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.mark.parametrize("broker", BROKERS)
def test_no_secret_is_written_into_the_project(cookies: Any, broker: str) -> None:
    backend = "tempo" if broker in ("rabbit", "nats") else "jaeger"
    project = bake(cookies, broker=broker, backend=backend)

    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        name = path.relative_to(project).as_posix()
        patterns = list(SECRETS_ANYWHERE)
        if path.suffix != ".py":
            patterns.append(SECRET_SETTING)
        elif name.startswith("src/"):
            patterns.append(SECRET_IN_CODE)
        for pattern in patterns:
            found = pattern.search(path.read_text())
            assert found is None, f"{name}: {found}"

    example = (project / ".env.example").read_text().splitlines()
    for name in SECRET_VARIABLES:
        (line,) = [line for line in example if f"{name}=" in line]
        assert re.fullmatch(rf"# {name}=<\w+>", line), line


def test_env_files_stay_out_of_git_and_the_image(cookies: Any) -> None:
    project = bake(cookies)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)

    ignored = subprocess.run(
        ["git", "check-ignore", ".env", ".env.local", ".env.example"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert ignored.stdout.split() == [".env", ".env.local"]
    dockerignore = (project / ".dockerignore").read_text().splitlines()
    assert {".env", ".env.*"} <= set(dockerignore)


def test_the_image_is_pinned_and_runs_as_non_root(cookies: Any) -> None:
    project = bake(cookies, python_version="3.12")
    dockerfile = (project / "Dockerfile").read_text()

    images = re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert images == [
        "ghcr.io/astral-sh/uv:0.13.9",
        "python:${PYTHON_VERSION}-slim-trixie",
        "python:${PYTHON_VERSION}-slim-trixie",
    ]
    assert "ARG PYTHON_VERSION=3.12\n" in dockerfile
    # The last USER of the last stage is what the container runs as.
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    (user,) = re.findall(r"^USER (\S+)$", final_stage, re.M)
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), f"USER {user}: numeric, not root"

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.brokers import broker_url, composed_mosquitto, tansu
from tests.template import TEMPLATE_DIR

# Fixtures, shared with every test module.
__all__ = ["broker_url", "composed_mosquitto", "tansu"]
# faults.py's fixtures (a private Redis), loaded once this module is: faults.py
# imports from it.
pytest_plugins = ["tests.faults"]


def run_cookiecutter(
    output_dir: Path, *answers: str, no_input: bool = True
) -> subprocess.CompletedProcess[str]:
    """`cookiecutter --no-input` exactly as a user runs it, with key=value answers
    (or other options, with `no_input=False`)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            *(["--no-input"] if no_input else []),
            str(TEMPLATE_DIR),
            "--output-dir",
            str(output_dir),
            *answers,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True, scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A cookiecutter config of the suite's own, for cookiecutter and cruft in this
    process and in the ones it starts: replay files and template clones go to a
    temporary directory, and the user's config and ~/.cookiecutter_replay are never
    read or written."""
    home = tmp_path_factory.mktemp("cookiecutter")
    config = home / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "cookiecutters_dir": str(home / "cookiecutters"),
                "replay_dir": str(home / "replay"),
            }
        )
    )
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("COOKIECUTTER_CONFIG", str(config))
        yield config


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Figures that tests record as a `figure` property (from every xdist worker):
    the cases a test tried, how long a generated project's suite took."""
    figures = [
        str(value)
        for report in terminalreporter.stats.get("passed", [])
        for name, value in report.user_properties
        if name == "figure"
    ]
    if figures:
        terminalreporter.section("figures")
        for line in sorted(figures):
            terminalreporter.write_line(line)

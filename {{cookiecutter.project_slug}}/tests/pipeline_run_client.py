"""Running `tests/pipeline_run.py` from a test and reading what it reports."""

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PipelineRun:
    summary: dict[str, Any]
    stdout: str
    stderr: str


def run_pipeline(*arguments: str, environment: dict[str, str]) -> PipelineRun:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tests.pipeline_run", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return PipelineRun(summary, result.stdout, result.stderr)

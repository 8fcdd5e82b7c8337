"""The app's lifecycle, run in a fresh interpreter (`tests/pipeline_run.py`): it ends
by shutting the tracer provider down, which must not happen to the provider the other
tests share."""

import os

from {{ cookiecutter.package_name }}.app import app, broker
from tests.pipeline_run_client import run_pipeline


def test_app_serves_the_broker() -> None:
    assert app.broker is broker


def test_stopping_the_app_exports_every_span() -> None:
    # Batches go out every 10 minutes here: what arrives was flushed by the app's
    # shutdown hook.
    result = run_pipeline(
        "--in-memory", environment={**os.environ, "OTEL_BSP_SCHEDULE_DELAY": "600000"}
    )

    assert result.summary["queued"] == 0
    assert result.summary["exported"] == 5

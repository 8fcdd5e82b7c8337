{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The app's lifecycle, run in a fresh interpreter: it ends by shutting the tracer
provider down, which must not happen to the provider the other tests share."""

import json
import os
import subprocess
import sys
import textwrap

from {{ cookiecutter.package_name }}.app import app, broker

LIFECYCLE_SCRIPT = textwrap.dedent(
    """
    import asyncio, json

    from faststream import TestApp
    from {{ broker.module }} import {{ broker.test_broker }}
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
        InMemorySpanExporter,
    )

    from {{ cookiecutter.package_name }} import telemetry
    from {{ cookiecutter.package_name }}.app import app, broker
    from {{ cookiecutter.package_name }}.handlers import settings
    from tests.messages import ORDER

    exporter = InMemorySpanExporter()
    telemetry.build_span_exporter = lambda: exporter

    async def main():
        async with {{ broker.test_broker }}(broker), TestApp(app):
            await broker.publish(ORDER, {{ broker.publisher | replace("DESTINATION", "settings.orders_topic") }})
            queued = len(exporter.get_finished_spans())
        exported = len(exporter.get_finished_spans())
        print(json.dumps({"queued": queued, "exported": exported}))

    asyncio.run(main())
    """
)


def test_app_serves_the_broker() -> None:
    assert app.broker is broker


def test_stopping_the_app_exports_every_span() -> None:
    # Batches go out every 5 s by default; the run is shorter, so what arrives was
    # flushed by the app's shutdown hook.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", LIFECYCLE_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "OTEL_BSP_SCHEDULE_DELAY": "600000"},
    )

    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts == {"queued": 0, "exported": 5}

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service: `faststream run {{ cookiecutter.package_name }}.app:app`."""

import logging

from faststream import FastStream
from {{ broker.module }} import {{ broker.broker_class }}

from {{ cookiecutter.package_name }}.handlers import router, settings
from {{ cookiecutter.package_name }}.logs import configure_logging
from {{ cookiecutter.package_name }}.telemetry import (
    create_tracer_provider,
    start_exporting,
    telemetry_middleware,
)

configure_logging(settings.log_level)
tracer_provider = create_tracer_provider()

broker = {{ broker.broker_class }}(
    settings.broker_url,
    middlewares=[telemetry_middleware(tracer_provider)],
    logger=logging.getLogger("{{ cookiecutter.package_name }}.broker"),
)
broker.include_router(router)

# FastStream's own lines (start, stop) in the same format as everything else.
app = FastStream(
    broker,
    logger=logging.getLogger("{{ cookiecutter.package_name }}.app"),
)


@app.on_startup
def export_spans() -> None:
    start_exporting(tracer_provider)
{%- if cookiecutter.broker == "redis" %}


@app.on_startup
async def start_publishers() -> None:
    # FastStream 0.7.8 gives a Redis publisher its connection only after every
    # subscriber has started, so orders already waiting in the stream when a replica
    # starts would be handled before their invoices could be published (and lost):
    # ready the publishers first.
    await broker.connect()
    for publisher in broker.publishers:
        await publisher.start()
{%- endif %}


@app.after_shutdown
def flush_spans() -> None:
    # Ends the batch processor: spans still queued are exported before exit.
    tracer_provider.shutdown()

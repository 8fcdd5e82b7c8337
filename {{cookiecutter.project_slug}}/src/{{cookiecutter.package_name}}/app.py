{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service: `faststream run {{ cookiecutter.package_name }}.app:app`."""

import logging

from faststream import FastStream
from {{ broker.module }} import {{ broker.broker_class }}

from {{ cookiecutter.package_name }}.failures import FailureLogging
from {{ cookiecutter.package_name }}.handlers import router, settings
from {{ cookiecutter.package_name }}.logs import configure_logging
{%- if cookiecutter.broker == "rabbit" %}
from {{ cookiecutter.package_name }}.queues import declare_dead_letter_queues
{%- endif %}
from {{ cookiecutter.package_name }}.security import BrokerSecurity
from {{ cookiecutter.package_name }}.telemetry import (
    create_tracer_provider,
    start_exporting,
    telemetry_middleware,
)

configure_logging(settings.log_level)
tracer_provider = create_tracer_provider()

broker_security = BrokerSecurity()
broker = {{ broker.broker_class }}(
    settings.broker_url,
    security=broker_security.security(),
{%- if cookiecutter.broker == "confluent" %}
    config=broker_security.config(),
{%- endif %}
    # Outermost first: a failure is logged inside the message's span.
    middlewares=[telemetry_middleware(tracer_provider), FailureLogging],
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
{%- if cookiecutter.broker == "rabbit" %}


@app.on_startup
async def prepare_dead_letter_queues() -> None:
    # Before the subscribers start, so that nothing rejected is ever dropped.
    await broker.connect()
    await declare_dead_letter_queues(
        broker,
        [settings.orders_topic, settings.invoices_topic],
        settings.consumer_group,
    )
{%- endif %}


@app.after_shutdown
def flush_spans() -> None:
    # Ends the batch processor: spans still queued are exported before exit.
    tracer_provider.shutdown()

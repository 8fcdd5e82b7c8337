{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service: `faststream run {{ cookiecutter.package_name }}.app:app`."""

import logging
import socket
from importlib.metadata import version

from faststream.asgi import AsgiFastStream
from {{ broker.module }} import {{ broker.broker_class }}
from faststream.specification import AsyncAPI
{%- if cookiecutter.broker == "redis" %}
from redis.asyncio import Redis
{%- elif cookiecutter.broker == "mqtt" %}
from zmqtt import MQTTClient
{%- endif %}

from {{ cookiecutter.package_name }}.failures import FailureLogging
from {{ cookiecutter.package_name }}.handlers import router
from {{ cookiecutter.package_name }}.log_export import LogExport
from {{ cookiecutter.package_name }}.logs import (
    BROKER_LOGGER,
    MESSAGE_LOG_LEVEL,
    configure_logging,
    quiet_http_access_log,
)
from {{ cookiecutter.package_name }}.metrics import (
    create_meter_provider,
    metrics_endpoint,
)
from {{ cookiecutter.package_name }}.probes import liveness, readiness
{%- if cookiecutter.broker == "rabbit" %}
from {{ cookiecutter.package_name }}.queues import declare_dead_letter_queues
{%- endif %}
from {{ cookiecutter.package_name }}.security import BrokerSecurity
{%- if cookiecutter.broker == "redis" %}
from {{ cookiecutter.package_name }}.streams import (
    create_groups,
    hand_back_pending,
)
{%- endif %}
from {{ cookiecutter.package_name }}.telemetry import (
    build_resource,
    create_tracer_provider,
    duration_middleware,
    start_exporting,
    telemetry_middleware,
)
{%- if cookiecutter.broker == "mqtt" %}
from {{ cookiecutter.package_name }}.topology import orders, settings
{%- else %}
from {{ cookiecutter.package_name }}.topology import settings
{%- endif %}

configure_logging(settings.log_level)
tracer_provider = create_tracer_provider()
meter_provider = create_meter_provider(build_resource())
log_export = LogExport(build_resource())
tracing = telemetry_middleware(tracer_provider)
durations = duration_middleware(meter_provider)

broker_security = BrokerSecurity()
broker = {{ broker.broker_class }}(
    settings.broker_url,
    security=broker_security.security(),
{%- if cookiecutter.broker == "confluent" %}
    config=broker_security.config(),
{%- elif cookiecutter.broker == "mqtt" %}
    # A persistent session: what the broker sent and this replica did not
    # acknowledge is sent again when it reconnects (see topology.py).
    client_id=settings.mqtt_client_id,
    clean_session=False,
    session_expiry_interval=settings.session_expiry_s,
    # Flow control the broker keeps: a burst waits in the broker, not in this process
    # (see "Delivery" in README.md).
    receive_maximum=settings.prefetch_count,
{%- endif %}
    # Outermost first: a message's duration is recorded, and a failure logged,
    # inside its span.
    middlewares=[tracing, durations, FailureLogging]
    if tracing and durations
    else [FailureLogging],
    logger=logging.getLogger(BROKER_LOGGER),
    log_level=MESSAGE_LOG_LEVEL,
)
broker.include_router(router)
{%- if cookiecutter.broker == "redis" %}
STREAMS = [settings.orders_topic, settings.invoices_topic]
logger = logging.getLogger(__name__)
{%- endif %}

# The broker and, on HTTP_PORT, the probes and metrics, served by one process.
# FastStream's own lines (start, stop) in the same format as everything else.
app = AsgiFastStream(
    broker,
    asgi_routes=[
        ("/health/live", liveness(broker)),
        ("/health/ready", readiness(broker)),
        ("/metrics", metrics_endpoint),
    ],
    logger=logging.getLogger("{{ cookiecutter.package_name }}.app"),
    # The AsyncAPI document (`faststream docs serve`) names this project.
    specification=AsyncAPI(
        title="{{ cookiecutter.project_slug }}",
        version=version("{{ cookiecutter.project_slug }}"),
    ),
)

# What `faststream run` serves HTTP on when not given --port (uvicorn's default).
DEFAULT_HTTP_PORT = 8000


@app.on_startup
def check_http_port(port: int | None = None, host: str = "127.0.0.1") -> None:
    # `faststream run` passes its --host and --port to this hook and to uvicorn, which
    # binds them (the image's command gives it HTTP_PORT): probes and Prometheus are
    # told HTTP_PORT, so a different port would fail them all.
    served = port or DEFAULT_HTTP_PORT
    if served != settings.http_port:
        msg = (
            f"HTTP_PORT is {settings.http_port} but the endpoints would be served on "
            f"{served}: run `faststream run {__name__}:app --port {settings.http_port}`"
        )
        raise ValueError(msg)
    # uvicorn binds only after the broker has started; a taken port found then stops
    # a service that had already begun reading messages. Refuse it before that.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, served))
        except OSError as error:
            msg = f"HTTP_PORT {served} on {host}: {str(error.strerror).lower()}"
            raise ValueError(msg) from error


app.on_startup(quiet_http_access_log)


@app.on_startup
def export_spans() -> None:
    start_exporting(tracer_provider)


@app.on_startup
def export_logs() -> None:
    # With OTEL_LOGS_EXPORTER set: each line also as an OpenTelemetry log record.
    log_export.start()
{%- if cookiecutter.broker == "redis" %}


@app.on_startup
async def prepare_streams() -> None:
    client = await broker.connect()
    if isinstance(client, Redis):  # not FastStream's in-memory test broker
        await create_groups(client, STREAMS, settings.consumer_group)
        # Before reading anything new: what this replica had read but not handled
        # when it last stopped without handing it back (killed, out of memory).
        returned = await hand_back_pending(
            client, STREAMS, settings.consumer_group, settings.consumer_name
        )
        logger.info("handed back %d entries left from before a restart", returned)
    # FastStream 0.7.8 gives a Redis publisher its connection only after every
    # subscriber has started, so orders already waiting in the stream when a replica
    # starts would be handled before their invoices could be published (and lost):
    # ready the publishers first.
    for publisher in broker.publishers:
        await publisher.start()


@app.after_shutdown
async def hand_back_unhandled() -> None:
    # The broker has stopped: the messages in flight are done (FastStream waits up to
    # its graceful timeout) and nothing more is read. What was read but not handled
    # goes back to the streams, over a connection of its own.
    client = await broker.connect()
    if isinstance(client, Redis):  # not FastStream's in-memory test broker
        returned = await hand_back_pending(
            client, STREAMS, settings.consumer_group, settings.consumer_name
        )
        logger.info("handed %d unhandled entries back to the streams", returned)
        await client.aclose()
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
{%- if cookiecutter.broker == "mqtt" %}


@app.on_startup
async def resume_session() -> None:
    # FastStream's MQTT client acknowledges, and drops, a message that arrives for no
    # subscription of its own unless the connection resumed a session; then it holds
    # it unacknowledged. Stopping unsubscribes, and the broker still sends what it had
    # queued for this session (PREFETCH_COUNT at a time): only on a resumed session does
    # that stay in the broker for the next replica. The first connection makes the
    # session; connect again to resume it (SESSION_EXPIRY_S keeps it in between).
    client = await broker.connect()
    if isinstance(client, MQTTClient) and not broker.connection_info.session_present:
        await broker.stop()
        await broker.connect()
        if not broker.connection_info.session_present:
            msg = "the MQTT broker did not keep this replica's session"
            raise RuntimeError(msg)


@app.on_shutdown
async def finish_orders_first() -> None:
    # FastStream stops every subscriber at once, and an MQTT broker keeps a message
    # only for subscriptions that exist: on the last replica, the invoices of orders
    # still in flight would find no invoices subscription. Stop reading orders first
    # (this waits for those in flight, up to the graceful timeout), while invoices
    # are still read; the broker then stops the rest.
    await orders.stop()
{%- endif %}


@app.after_shutdown
def flush_telemetry() -> None:
    # Ends the batch processors: spans still queued are exported before exit (and
    # metrics and log records, when they are pushed; log records last, so that the
    # lines about the others' shutdown go too).
    tracer_provider.shutdown()
    meter_provider.shutdown()
    log_export.stop()

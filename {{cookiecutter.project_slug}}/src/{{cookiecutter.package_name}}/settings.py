{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Service settings, read from environment variables of the same name in upper case.

Telemetry is configured by the standard `OTEL_*` variables, which the OpenTelemetry
SDK reads itself; only what OpenTelemetry has no variable for lives here.
"""

{% if cookiecutter.broker == "redis" -%}
import os
import socket

{% endif -%}
from pydantic import Field
from pydantic_settings import BaseSettings

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
{%- if cookiecutter.broker == "redis" %}


def _default_consumer_name() -> str:
    # Unique per replica, as a Redis Streams consumer group requires.
    return f"{socket.gethostname()}-{os.getpid()}"
{%- endif %}


class Settings(BaseSettings):
    broker_url: str = Field(
        default="{{ broker.default_url }}",
        description="Broker address (BROKER_URL).",
    )
    orders_topic: str = Field(
        default="orders",
        min_length=1,
        description="Where orders arrive (ORDERS_TOPIC).",
    )
    invoices_topic: str = Field(
        default="invoices",
        min_length=1,
        description="Where invoices are published (INVOICES_TOPIC).",
    )
    consumer_group: str = Field(
        default=SERVICE_NAME,
        min_length=1,
        description="Group that replicas of this service share (CONSUMER_GROUP).",
    )
{%- if cookiecutter.broker in ("rabbit", "redis") %}
    prefetch_count: int = Field(
        default=10,
        ge=1,
        description="Unacknowledged messages a replica may hold (PREFETCH_COUNT).",
    )
{%- endif %}
{%- if cookiecutter.broker == "redis" %}
    consumer_name: str = Field(
        default_factory=_default_consumer_name,
        min_length=1,
        description="This replica's name in the consumer group (CONSUMER_NAME).",
    )
{%- endif %}
    http_port: int = Field(
        default=8000,
        ge=1,
        le=65535,
        description="Port of /health/live, /health/ready and /metrics (HTTP_PORT).",
    )
    log_level: str = Field(
        default="INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$",
        description="Log level (LOG_LEVEL).",
    )

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Service settings, read from environment variables of the same name in upper case.

Telemetry is configured by the standard `OTEL_*` variables, which the OpenTelemetry
SDK reads itself; only what OpenTelemetry has no variable for lives here.
"""

{% if cookiecutter.broker in ("redis", "mqtt") -%}
import socket

{% endif -%}
{% if cookiecutter.broker == "nats" -%}
from faststream.nats import RetentionPolicy
{% endif -%}
from pydantic import Field
from pydantic_settings import BaseSettings

SERVICE_NAME = "{{ cookiecutter.project_slug }}"
{%- if cookiecutter.broker == "nats" %}
DAY_S = 24 * 60 * 60
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
{%- if cookiecutter.broker in ("rabbit", "redis", "nats") %}
    prefetch_count: int = Field(
        default=10,
        ge=1,
        description="Unacknowledged messages a replica may hold (PREFETCH_COUNT).",
    )
{%- elif cookiecutter.broker == "mqtt" %}
    prefetch_count: int = Field(
        default=1,
        ge=1,
        # FastStream's MQTT client buffers at most 1000 messages a subscription.
        le=1000,
        description="QoS 1 messages the broker may send a replica before it "
        "acknowledges one, MQTT 5's Receive Maximum (PREFETCH_COUNT).",
    )
{%- endif %}
{%- if cookiecutter.broker == "nats" %}
    stream_name: str = Field(
        default=SERVICE_NAME,
        pattern=r"^[^.*>\s/\\]+$",
        description="JetStream stream holding both topics (STREAM_NAME).",
    )
    stream_retention: RetentionPolicy = Field(
        default=RetentionPolicy.LIMITS,
        description="limits, interest or workqueue (STREAM_RETENTION).",
    )
    stream_max_age_s: float = Field(
        default=7 * DAY_S,
        gt=0,
        description="How long the stream keeps a message (STREAM_MAX_AGE_S).",
    )
    ack_wait_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds before an unacknowledged message is redelivered "
        "(ACK_WAIT_S).",
    )
    max_deliver: int = Field(
        default=5,
        ge=1,
        description="Deliveries of a message before JetStream gives up on it "
        "(MAX_DELIVER).",
    )
{%- endif %}
{%- if cookiecutter.broker == "mqtt" %}
    mqtt_client_id: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        description="This replica's client id, the same across its restarts: it "
        "names the session the broker keeps for it (MQTT_CLIENT_ID).",
    )
    session_expiry_s: int = Field(
        default=120,
        ge=1,
        description="How long the broker keeps a disconnected replica's session "
        "(SESSION_EXPIRY_S).",
    )
{%- endif %}
{%- if cookiecutter.broker == "redis" %}
    consumer_name: str = Field(
        default_factory=socket.gethostname,
        min_length=1,
        description="This replica's name in the consumer group, the same across "
        "its restarts (CONSUMER_NAME).",
    )
    claim_idle_s: float = Field(
        default=60.0,
        gt=0,
        description="Seconds an entry may wait unacknowledged before another "
        "replica claims it (CLAIM_IDLE_S).",
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

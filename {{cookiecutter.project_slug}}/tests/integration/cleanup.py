{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""What a test run leaves on a real broker, removed."""

from {{ broker.module }} import {{ broker.broker_class }}
{%- if cookiecutter.broker == "redis" %}
from redis.asyncio import Redis
{%- endif %}
{%- if cookiecutter.broker == "rabbit" %}

from {{ cookiecutter.package_name }}.queues import (
    dead_letter_queue,
    work_queue,
)
{%- elif cookiecutter.broker == "redis" %}

from {{ cookiecutter.package_name }}.topology import settings
{%- endif %}


async def remove_destinations(
    broker: {{ broker.broker_class }}, topics: list[str], group: str
) -> None:
{%- if cookiecutter.broker == "rabbit" %}
    """The test run's queues are durable, like the service's: remove them."""
    for topic in topics:
        for queue in (work_queue(topic, group), dead_letter_queue(topic, group)):
            declared = await broker.declare_queue(queue)
            await declared.delete(if_unused=False, if_empty=False)
{%- elif cookiecutter.broker == "redis" %}
    """The test run's streams outlive it: remove them."""
    client = Redis.from_url(settings.broker_url)
    await client.delete(*topics)
    await client.aclose()
{%- elif cookiecutter.broker in ("kafka", "confluent") %}
    """Nothing to remove: Kafka topics are left to the broker's retention."""
{%- else %}
    """Nothing to remove: {{ broker.label }} keeps no message once delivered."""
{%- endif %}

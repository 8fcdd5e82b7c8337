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
{%- elif cookiecutter.broker == "nats" %}

from {{ cookiecutter.package_name }}.topology import (
    durable_name,
    settings,
)
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
{%- elif cookiecutter.broker == "nats" %}
    """The group's durable consumers outlive the run, and the stream keeps its
    messages: remove them, and the stream once no consumer is left on it."""
    jetstream = broker.connection.jetstream()
    for topic in topics:
        name = durable_name(topic, group)
        await jetstream.delete_consumer(settings.stream_name, name)
        await jetstream.purge_stream(settings.stream_name, subject=topic)
    info = await jetstream.stream_info(settings.stream_name)
    if info.state.consumer_count == 0:
        await jetstream.delete_stream(settings.stream_name)
{%- elif cookiecutter.broker in ("kafka", "confluent") %}
    """Nothing to remove: Kafka topics are left to the broker's retention."""
{%- else %}
    """Nothing to remove: {{ broker.label }} keeps no message once delivered."""
{%- endif %}

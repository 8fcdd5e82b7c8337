"""Topics with a partition per replica: Kafka shares work by partition, so a topic
with one partition (what a broker auto-creates by default) keeps every replica but one
idle."""

import asyncio

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic


async def create_topics(url: str, topics: list[str], partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": url})
    created = admin.create_topics(
        [NewTopic(topic, partitions, replication_factor=1) for topic in topics]
    )
    for future in created.values():
        try:
            await asyncio.wrap_future(future)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

"""Topics with a partition per replica: Kafka shares work by partition, so a topic
with one partition (what a broker auto-creates by default) keeps every replica but one
idle."""

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError


async def create_topics(url: str, topics: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=url)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, partitions, replication_factor=1) for topic in topics]
        )
    except TopicAlreadyExistsError:
        pass
    finally:
        await admin.close()

"""What the service commits on Kafka: the offsets of the messages it is done with,
never that of a message it is still handling (offsets.py says why FastStream's own
acknowledgement is not used), and in the end every message's.

    uv run pytest -m integration -k offsets
"""

import asyncio
import uuid

import pytest
from confluent_kafka import Consumer, Message, TopicPartition
from faststream import AckPolicy
from faststream.confluent import KafkaBroker, KafkaMessage, KafkaRouter

from {{ cookiecutter.package_name }}.handlers import dispatch_invoice
from {{ cookiecutter.package_name }}.offsets import CommitOffsets
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.integration.confluent_partitions import create_topics
from tests.messages import ORDER

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

MESSAGES = 100
TIMEOUT = 60.0


def uncommitted(topic: str, group: str) -> int:
    """Messages in `topic` past the offsets `group` has committed."""
    consumer = Consumer({"bootstrap.servers": settings.broker_url, "group.id": group})
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        numbers = metadata.topics[topic].partitions
        partitions = [TopicPartition(topic, number) for number in numbers]
        behind = 0
        for partition in consumer.committed(partitions, timeout=10):
            low, high = consumer.get_watermark_offsets(partition, timeout=10)
            behind += high - (partition.offset if partition.offset >= 0 else low)
        return behind
    finally:
        consumer.close()


async def test_no_offset_is_committed_while_its_message_is_handled(
    broker_listening: None,
) -> None:
    run = uuid.uuid4().hex[:8]
    topic = group = f"committed-offsets-{run}"
    await create_topics(settings.broker_url, [topic], 1)
    probe = Consumer({"bootstrap.servers": settings.broker_url, "group.id": group})
    # (offset of the message in hand, the group's committed offset meanwhile)
    seen: list[tuple[int, int]] = []
    router = KafkaRouter(middlewares=[CommitOffsets])

    @router.subscriber(
        topic,
        group_id=group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
    )
    async def handle(number: int, message: KafkaMessage) -> None:
        raw = message.raw_message
        assert isinstance(raw, Message)
        # Work, as a real handler's I/O: time for a commit sent meanwhile to land.
        await asyncio.sleep(0.02)
        partition = TopicPartition(topic, 0)  # the topic's only one
        [committed] = await asyncio.to_thread(probe.committed, [partition], 10)
        seen.append((raw.offset() or 0, committed.offset))

    broker = KafkaBroker(settings.broker_url)
    broker.include_router(router)
    try:
        async with broker:
            for number in range(MESSAGES):
                await broker.publish(number, topic=topic)
            await broker.start()
            # Until every message is handled and its offset committed.
            deadline = asyncio.get_running_loop().time() + TIMEOUT
            while True:
                behind = await asyncio.to_thread(uncommitted, topic, group)
                if len(seen) == MESSAGES and behind == 0:
                    break
                assert asyncio.get_running_loop().time() < deadline, (len(seen), behind)
                await asyncio.sleep(0.1)
    finally:
        probe.close()

    # A committed offset is the next one to read: past the message in hand, it
    # would leave that message unhandled after a crash.
    assert [(offset, ahead) for offset, ahead in seen if ahead > offset] == []


async def test_the_service_commits_every_message_it_has_handled(
    real_broker: KafkaBroker,
) -> None:
    order_ids = {f"order-{uuid.uuid4().hex[:8]}" for _ in range(5)}
    for order_id in order_ids:
        await real_broker.publish(
            {**ORDER, "order_id": order_id}, **address(settings.orders_topic)
        )

    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        calls = dispatch_invoice.mock.call_args_list
        dispatched = {call.args[0]["order_id"] for call in calls}
        behind = [
            await asyncio.to_thread(uncommitted, topic, settings.consumer_group)
            for topic in (settings.orders_topic, settings.invoices_topic)
        ]
        if order_ids <= dispatched and behind == [0, 0]:
            break
        assert asyncio.get_running_loop().time() < deadline, behind
        await asyncio.sleep(0.2)

"""RabbitMQ topology: a topic is a routing key on the `amq.direct` exchange (which
RabbitMQ declares itself, in every virtual host), and each service reads it from a
durable queue of its own, named after its consumer group. Replicas of one service
compete on that queue, so each message is handled once; another service on the same
topic gets its own queue and its own copy.

A message the service rejects (a malformed one, or a handler that raised) is not
requeued: RabbitMQ moves it to the queue's dead-letter queue, `<queue>.dead-letter`,
where it waits for a person to look at it.
"""

from faststream.rabbit import RabbitBroker, RabbitQueue

# Declared by RabbitMQ itself in every virtual host: nothing to create.
EXCHANGE = "amq.direct"


def queue_name(topic: str, group: str) -> str:
    return f"{group}.{topic}"


def dead_letter_queue(topic: str, group: str) -> RabbitQueue:
    return RabbitQueue(f"{queue_name(topic, group)}.dead-letter", durable=True)


def work_queue(topic: str, group: str) -> RabbitQueue:
    """The group's durable queue for `topic`, dead-lettering what it rejects."""
    return RabbitQueue(
        queue_name(topic, group),
        durable=True,
        routing_key=topic,
        arguments={
            # The default exchange routes by queue name: to the dead-letter queue.
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_letter_queue(topic, group).name,
        },
    )


async def declare_dead_letter_queues(
    broker: RabbitBroker, topics: list[str], group: str
) -> None:
    """Dead-lettered messages are dropped unless their queue exists: declare it
    before the first message can be rejected."""
    for topic in topics:
        await broker.declare_queue(dead_letter_queue(topic, group))

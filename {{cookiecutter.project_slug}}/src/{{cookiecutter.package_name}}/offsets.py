"""A message's offset is committed once the message is done: its handler has returned
or raised, and what it returned (the invoice) is published.

FastStream's `AckPolicy.ACK` (0.7.8) would commit without naming the offsets and
without waiting. librdkafka then commits what the consumer has *read* by the time its
own thread sends the commit, and by then the next message has often been read: about
one commit in twenty covered a message still being handled, and a replica killed then
would never handle it. So the subscribers (topology.py) take `AckPolicy.MANUAL`,
and this middleware commits and waits: the next message is read only after the
commit, which therefore covers exactly the messages done. It costs a round trip to the
broker a message, inside the message's `process` span (a router's middleware runs
inside the broker's).
"""

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from confluent_kafka import KafkaException
from faststream import BaseMiddleware
from faststream.confluent.helpers import AsyncConfluentConsumer
from faststream.confluent.message import KafkaMessage
from faststream.message import StreamMessage

logger = logging.getLogger(__name__)


class CommitOffsets(BaseMiddleware[Any, Any]):
    """The subscribers' acknowledgement, on the router that holds them."""

    message: StreamMessage[Any] | None = None

    async def consume_scope(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> Any:
        self.message = msg
        return await call_next(msg)

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        # Runs after the handler's result is published, whether the handler returned
        # or raised. (A message FastStream cannot even parse never gets this far: the
        # next message's commit covers its offset.)
        message = self.message
        if not isinstance(message, KafkaMessage):
            return False
        consumer = message.consumer
        if isinstance(consumer, AsyncConfluentConsumer):  # not the in-memory broker
            try:
                await consumer.commit(asynchronous=False)
            except KafkaException as error:
                # Its partition was taken away meanwhile (a rebalance): the replica
                # that has it now reads the message again.
                logger.warning(
                    "offset of message %s not committed (%s): it may be handled again",
                    message.message_id,
                    error.args[0],
                )
        return False

"""Redis Streams housekeeping that FastStream leaves to the service, so that no order
is lost between replicas:

- a consumer group starts at the beginning of its stream, so the
  orders sent before a replica ever ran are read too;
- a replica that stops hands back what it read but did not handle: each such entry is
  added to the stream again, with the same fields (its `traceparent` too, so its trace
  goes on), and acknowledged, in one transaction; the next replica reads it;
- a replica that was killed instead hands back, when it starts again under the same
  `CONSUMER_NAME`, what it had left pending.

Entries left by a replica that never comes back are claimed by the others (FastStream's
`XAUTOCLAIM` subscriber in topology.py).
"""

from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ResponseError

Entry = tuple[bytes, dict[Any, Any]]


async def create_groups(client: Redis, streams: list[str], group: str) -> None:
    for stream in streams:
        try:
            await client.xgroup_create(stream, group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):  # the group exists: keep its position
                raise


async def hand_back_pending(
    client: Redis, streams: list[str], group: str, consumer: str
) -> int:
    """Return `consumer`'s unacknowledged entries to their streams; how many."""
    returned = 0
    for stream in streams:
        while pending := await client.xpending_range(
            stream, group, min="-", max="+", count=100, consumername=consumer
        ):
            ids: list[Any] = [entry["message_id"] for entry in pending]
            claimed = await client.xclaim(stream, group, consumer, 0, ids)
            entries = cast(list[Entry], claimed)
            async with client.pipeline(transaction=True) as transaction:
                for _, fields in entries:
                    transaction.xadd(stream, fields)
                transaction.xack(stream, group, *ids)
                await transaction.execute()
            returned += len(entries)
    return returned

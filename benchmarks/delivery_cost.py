"""What at-least-once delivery costs, per broker, against the at-most-once setup the
service used before: NATS core queue group vs a JetStream pull consumer with acks
(and JetStream publishes), MQTT QoS 0 vs QoS 1 with a persistent session, Redis
Streams group reads alone vs with the `XAUTOCLAIM` subscriber beside them.

Run with a generated project's interpreter (it needs FastStream and the broker's
client), against a real broker:

    python benchmarks/delivery_cost.py nats nats://127.0.0.1:4222 [messages]

Untraced, the handler does nothing: only delivery is measured. Each case publishes
MESSAGES messages one after the other (each publish awaited, as the service's
handlers await theirs) to a subscriber running in the same process, and times the
last one handled. Prints one JSON line per case: the best of three runs, in messages
per second.
"""

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

Case = Callable[[str, int], Awaitable[float]]


async def timed(
    broker: Any, publish: Callable[[int], Awaitable[Any]], done: Any
) -> float:
    """Seconds from the first publish until `done` is set."""
    async with broker:
        await broker.start()
        started = time.perf_counter()
        for number in range(MESSAGES):
            await publish(number)
        await asyncio.wait_for(done.wait(), timeout=120)
        return time.perf_counter() - started


def counter(count: int) -> tuple[asyncio.Event, Callable[[Any], Awaitable[None]]]:
    done, seen = asyncio.Event(), [0]

    async def handle(_: Any) -> None:
        seen[0] += 1
        if seen[0] == count:
            done.set()

    return done, handle


async def nats(url: str, at_least_once: bool) -> float:
    from faststream.nats import JStream, NatsBroker, PullSub

    run = uuid.uuid4().hex[:8]
    subject, broker = f"bench-{run}", NatsBroker(url, logger=None)
    done, handle = counter(MESSAGES)
    stream = JStream(f"bench-{run}", declare=True)
    if at_least_once:
        broker.subscriber(
            subject, stream=stream, durable=run, pull_sub=PullSub(batch_size=10)
        )(handle)
        seconds = await timed(
            broker, lambda n: broker.publish(n, subject, stream=stream.name), done
        )
        await broker.connect()
        await broker.connection.jetstream().delete_stream(stream.name)
        await broker.stop()
        return seconds
    broker.subscriber(subject, queue=run)(handle)
    return await timed(broker, lambda n: broker.publish(n, subject), done)


async def mqtt(url: str, at_least_once: bool) -> float:
    from faststream.mqtt import MQTTBroker, QoS

    run = uuid.uuid4().hex[:8]
    topic = f"bench-{run}"
    qos = QoS.AT_LEAST_ONCE if at_least_once else QoS.AT_MOST_ONCE
    options: dict[str, Any] = (
        {"client_id": run, "clean_session": False, "session_expiry_interval": 10}
        if at_least_once
        else {}
    )
    broker = MQTTBroker(url, logger=None, **options)
    done, handle = counter(MESSAGES)
    broker.subscriber(f"$share/{run}/{topic}", qos=qos)(handle)
    return await timed(broker, lambda n: broker.publish(n, topic, qos=qos), done)


async def redis(url: str, at_least_once: bool) -> float:
    from faststream.redis import RedisBroker, StreamSub

    run = uuid.uuid4().hex[:8]
    stream, broker = f"bench-{run}", RedisBroker(url, logger=None)
    done, handle = counter(MESSAGES)
    broker.subscriber(
        stream=StreamSub(stream, group=run, consumer="c", max_records=10)
    )(handle)
    if at_least_once:
        claim = StreamSub(
            stream, group=run, consumer="c", min_idle_time=60_000, polling_interval=1000
        )
        broker.subscriber(stream=claim)(handle)
    seconds = await timed(broker, lambda n: broker.publish(n, stream=stream), done)
    async with broker:
        client = await broker.connect()
        await client.delete(stream)
    return seconds


CASES = {"nats": nats, "mqtt": mqtt, "redis": redis}
LABELS = {
    "nats": ("core queue group", "JetStream pull consumer, acked"),
    "mqtt": ("QoS 0", "QoS 1, persistent session"),
    "redis": ("group read", "group read + XAUTOCLAIM subscriber"),
}


async def main(broker: str, url: str) -> None:
    case = CASES[broker]
    for at_least_once, label in zip((False, True), LABELS[broker], strict=True):
        best = min([await case(url, at_least_once) for _ in range(3)])
        print(
            json.dumps(
                {
                    "broker": broker,
                    "case": label,
                    "messages": MESSAGES,
                    "per_second": round(MESSAGES / best),
                }
            ),
            flush=True,
        )


MESSAGES = int(sys.argv[3]) if len(sys.argv) > 3 else 2000

if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

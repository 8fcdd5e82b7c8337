{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The two questions an orchestrator asks the service over HTTP.

- `/health/live`: is the process alive, with its subscribers consuming? It fails once
  the broker runs and a subscriber has stopped: FastStream stops a subscriber for good
  only after an error it cannot recover from, and a restart is then the cure. A
  subscriber whose reads fail and are retried (the broker away for a while) is still
  consuming: that is readiness's business, and restarting would not help.
- `/health/ready`: does the broker answer a ping within `PING_TIMEOUT_S`?

Each answers 204, or 503 with the reason. Live costs no I/O, ready one ping; neither
logs per request, only when its answer changes.
"""

import logging

from faststream.asgi import AsgiResponse, HttpHandler, get
from faststream.asgi.types import Scope
from {{ broker.module }} import {{ broker.broker_class }}

logger = logging.getLogger(__name__)

# Readiness answers within this plus the HTTP round trip: give Kubernetes probes a
# `timeoutSeconds` of 2 or more (its default is 1).
PING_TIMEOUT_S = 1.0

HEALTHY = AsgiResponse(b"", 204)


def unhealthy(reason: str) -> AsgiResponse:
    return AsgiResponse(reason.encode(), 503, {"content-type": "text/plain"})


class Transitions:
    """Logs a probe's answer when it changes, not on every request."""

    def __init__(self) -> None:
        self.failing = False

    def update(self, reason: str, recovered: str) -> None:
        if reason and not self.failing:
            logger.warning("%s", reason)
        elif self.failing and not reason:
            logger.info("%s", recovered)
        self.failing = bool(reason)


def stopped_subscribers(broker: {{ broker.broker_class }}) -> list[str]:
    """Subscribers that have stopped while the broker runs (none while it starts or
    stops)."""
    if not broker.running:
        return []
    return [
        subscriber.specification.call_name
        for subscriber in broker.subscribers
        if not subscriber.running
    ]


def liveness(broker: {{ broker.broker_class }}) -> HttpHandler:
    transitions = Transitions()

    @get(include_in_schema=False)
    async def live(scope: Scope) -> AsgiResponse:
        stopped = stopped_subscribers(broker)
        reason = (
            f"not live: subscribers stopped: {', '.join(stopped)}" if stopped else ""
        )
        transitions.update(reason, "live again: every subscriber is consuming")
        return unhealthy(reason) if reason else HEALTHY

    return live


def readiness(broker: {{ broker.broker_class }}, timeout: float = PING_TIMEOUT_S) -> HttpHandler:
    transitions = Transitions()

    @get(include_in_schema=False)
    async def ready(scope: Scope) -> AsgiResponse:
        answered = await broker.ping(timeout)
        reason = (
            "" if answered else f"not ready: no answer from the broker in {timeout} s"
        )
        transitions.update(reason, "ready again: the broker answers")
        return unhealthy(reason) if reason else HEALTHY

    return ready

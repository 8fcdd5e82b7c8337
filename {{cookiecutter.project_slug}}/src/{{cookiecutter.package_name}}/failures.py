{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""A message the service cannot handle (not JSON, the wrong shape, or a handler that
raised) is logged here, inside its span, so the line carries the trace id and says
what becomes of the message; the broker then settles it (see "Delivery" in README.md).
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import BaseMiddleware
from faststream.message import StreamMessage

logger = logging.getLogger(__name__)

SETTLED = "{{ broker.on_failure }}"


class FailureLogging(BaseMiddleware[Any, Any]):
    """Placed inside the telemetry middleware, so its span is the current one."""

    async def consume_scope(
        self,
        call_next: Callable[[StreamMessage[Any]], Awaitable[Any]],
        msg: StreamMessage[Any],
    ) -> Any:
        try:
            return await call_next(msg)
        except Exception as error:
            summary = next(iter(str(error).splitlines()), "")  # pydantic's run long
            logger.error(
                "message %s not handled (%s: %s); %s",
                msg.message_id,
                type(error).__name__,
                summary,
                SETTLED,
            )
            raise

{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""A burst does not stall the service: orders published at once, as fast as a producer
can, many more than the service takes from the broker at a time, are all invoiced.
The rest wait in the broker (see "Delivery" in README.md).

    uv run pytest -m integration -k burst
"""

import asyncio
import uuid
from typing import Any

import pytest
from {{ broker.module }} import {{ broker.broker_class }}

from {{ cookiecutter.package_name }}.handlers import dispatch_invoice
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.messages import ORDER

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

BURST = 2000
# Invoices stop coming for this long: the service has stalled.
STALLED_AFTER_S = 60.0


def invoiced(order_ids: set[str]) -> set[str]:
    """Those of `order_ids` whose invoice the service has dispatched."""
    calls = dispatch_invoice.mock.call_args_list
    dispatched: set[Any] = {call.args[0]["order_id"] for call in calls}
    return order_ids & dispatched


async def test_a_burst_of_orders_is_invoiced_whole(
    real_broker: {{ broker.broker_class }},
) -> None:
    run = uuid.uuid4().hex[:8]
    order_ids = {f"burst-{run}-{number}" for number in range(BURST)}

    for order_id in order_ids:
        await real_broker.publish(
            {**ORDER, "order_id": order_id}, **address(settings.orders_topic)
        )
    done, last_progress = 0, asyncio.get_running_loop().time()
    while done < BURST:
        await asyncio.sleep(0.5)
        now = asyncio.get_running_loop().time()
        if len(invoiced(order_ids)) > done:
            done, last_progress = len(invoiced(order_ids)), now
        elif now - last_progress > STALLED_AFTER_S:
            pytest.fail(
                f"stalled: {done} of {BURST} orders invoiced (what bounds a backlog "
                'is in "Delivery", README.md)'
            )

    assert invoiced(order_ids) == order_ids

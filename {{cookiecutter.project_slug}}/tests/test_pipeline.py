{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
from typing import Any

import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.handlers import (
    dispatch_invoice,
    price_order,
)
from {{ cookiecutter.package_name }}.topology import address, settings
from tests.messages import INVOICE, MALFORMED_ORDER, NOT_JSON, ORDER


async def test_an_order_is_priced_and_its_invoice_dispatched(
    test_broker: {{ broker.broker_class }},
) -> None:
    await test_broker.publish(ORDER, **address(settings.orders_topic))

    price_order.mock.assert_called_once_with(ORDER)
    dispatch_invoice.mock.assert_called_once_with(INVOICE)


@pytest.mark.parametrize(
    "message", [MALFORMED_ORDER, NOT_JSON], ids=["wrong-schema", "not-json"]
)
async def test_a_malformed_order_is_refused_and_the_next_one_goes_through(
    test_broker: {{ broker.broker_class }}, message: Any
) -> None:
    with pytest.raises(ValidationError):
        await test_broker.publish(
            message,
            **address(settings.orders_topic),
        )
    dispatch_invoice.mock.assert_not_called()

    await test_broker.publish(ORDER, **address(settings.orders_topic))
    dispatch_invoice.mock.assert_called_once_with(INVOICE)

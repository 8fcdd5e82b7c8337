{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
import pytest
from {{ broker.module }} import {{ broker.broker_class }}
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.handlers import (
    dispatch_invoice,
    price_order,
    settings,
)
from tests.messages import INVOICE, MALFORMED_ORDER, ORDER


async def test_an_order_is_priced_and_its_invoice_dispatched(
    test_broker: {{ broker.broker_class }},
) -> None:
    await test_broker.publish(ORDER, {{ broker.publisher | replace("DESTINATION", "settings.orders_topic") }})

    price_order.mock.assert_called_once_with(ORDER)
    dispatch_invoice.mock.assert_called_once_with(INVOICE)


async def test_a_malformed_order_is_refused_and_no_invoice_is_published(
    test_broker: {{ broker.broker_class }},
) -> None:
    with pytest.raises(ValidationError):
        await test_broker.publish(
            MALFORMED_ORDER,
            {{ broker.publisher | replace("DESTINATION", "settings.orders_topic") | replace(", ", ",\n            ") }},
        )

    dispatch_invoice.mock.assert_not_called()

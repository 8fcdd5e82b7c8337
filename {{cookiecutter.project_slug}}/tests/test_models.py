from decimal import Decimal

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.models import LineItem, Order, price


def make_order(*items: LineItem) -> Order:
    return Order(order_id="o-1", customer_id="c-1", items=list(items))


def test_price_multiplies_quantities_and_rounds_to_the_cent() -> None:
    order = make_order(
        LineItem(sku="a", quantity=3, unit_price=Decimal("0.10")),
        LineItem(sku="b", quantity=1, unit_price=Decimal("19.99")),
    )

    invoice = price(order)

    assert invoice.total == Decimal("20.29")
    assert invoice.item_count == 4
    assert (invoice.order_id, invoice.customer_id) == ("o-1", "c-1")


def test_price_of_free_items_is_zero() -> None:
    invoice = price(make_order(LineItem(sku="gift", quantity=1, unit_price=Decimal(0))))

    assert invoice.total == Decimal("0.00")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"order_id": "o", "customer_id": "c", "items": []}, id="no-items"),
        pytest.param(
            {
                "order_id": "o",
                "customer_id": "c",
                "items": [{"sku": "a", "quantity": 0, "unit_price": "1"}],
            },
            id="zero-quantity",
        ),
        pytest.param(
            {
                "order_id": "o",
                "customer_id": "c",
                "items": [{"sku": "a", "quantity": 1, "unit_price": "-1"}],
            },
            id="negative-price",
        ),
        pytest.param(
            {
                "order_id": "o",
                "customer_id": "c",
                "items": [{"sku": "a", "quantity": 1, "unit_price": "0.001"}],
            },
            id="fraction-of-a-cent",
        ),
        pytest.param({"customer_id": "c", "items": []}, id="no-order-id"),
    ],
)
def test_invalid_orders_are_rejected(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Order.model_validate(payload)

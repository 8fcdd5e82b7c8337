"""Messages the service consumes and publishes."""

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

CENT = Decimal("0.01")


class LineItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    unit_price: Decimal = Field(ge=0, decimal_places=2)


class Order(BaseModel):
    """An order to be priced: arrives on ORDERS_TOPIC."""

    model_config = ConfigDict(frozen=True)

    order_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    items: list[LineItem] = Field(min_length=1)


class Invoice(BaseModel):
    """The priced order: published on INVOICES_TOPIC."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    customer_id: str
    item_count: int
    total: Decimal


def price(order: Order) -> Invoice:
    """Total an order: quantities times unit prices, rounded to the cent."""
    total = sum((item.unit_price * item.quantity for item in order.items), Decimal())
    return Invoice(
        order_id=order.order_id,
        customer_id=order.customer_id,
        item_count=sum(item.quantity for item in order.items),
        total=total.quantize(CENT),
    )

"""The pipeline: price each order, publish its invoice, and dispatch the invoice.

One trace covers it all: `orders publish` -> `orders process` -> `invoices publish`
-> `invoices process`, linked through the `traceparent` header of each message. Where
each message is read from and sent to is in topology.py.
"""

import logging

from opentelemetry import trace

from {{ cookiecutter.package_name }}.models import Invoice, Order, price
from {{ cookiecutter.package_name }}.topology import (
{%- if cookiecutter.broker == "redis" %}
    abandoned_invoices,
    abandoned_orders,
{%- endif %}
    invoice_publisher,
    invoices,
    orders,
    router,
)

# The app includes `router`, which holds these handlers once this module is imported.
__all__ = ["dispatch_invoice", "price_order", "router"]

logger = logging.getLogger(__name__)


@orders
{%- if cookiecutter.broker == "redis" %}
@abandoned_orders
{%- endif %}
@invoice_publisher
async def price_order(order: Order) -> Invoice:
    """Price an order and publish the invoice (the return value) to INVOICES_TOPIC.

    Delivery is at least once: after a crash the same order can arrive again (see
    "Delivery" in README.md), so this must be safe to repeat. It is: the invoice
    depends on the order alone and carries its `order_id`, by which the reader of
    the invoices knows a repeat. A handler with side effects (a charge, an e-mail)
    would record the order id with the effect, in one transaction, and skip an order
    already recorded.
    """
    invoice = price(order)
    # The message's `process` span. (FastStream's `CurrentSpan` parameter gives the
    # same span, but resolves it in a worker thread: a thread hop per message.)
    trace.get_current_span().set_attributes(
        {
            "app.order.id": order.order_id,
            "app.order.item_count": invoice.item_count,
            "app.invoice.total": str(invoice.total),
        }
    )
    logger.info("priced order %s: %s", order.order_id, invoice.total)
    return invoice


@invoices
{%- if cookiecutter.broker == "redis" %}
@abandoned_invoices
{%- endif %}
async def dispatch_invoice(invoice: Invoice) -> None:
    """The end of the pipeline: hand the invoice over (here, to the log). An invoice
    can arrive twice: whatever takes it over keys it by `order_id`."""
    trace.get_current_span().set_attribute("app.invoice.total", str(invoice.total))
    logger.info(
        "invoice for order %s ready for customer %s: %s",
        invoice.order_id,
        invoice.customer_id,
        invoice.total,
    )

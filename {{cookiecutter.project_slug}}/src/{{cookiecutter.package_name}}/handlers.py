{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
{%- macro subscriber(source) -%}
@router.subscriber(
{%- for argument in broker.subscriber %}
    {{ argument | replace("SOURCE", source) }},
{%- endfor %}
)
{%- endmacro -%}
{%- set invoices_out = broker.publisher | replace("DESTINATION", "settings.invoices_topic") -%}
"""The pipeline: price each order, publish its invoice, and dispatch the invoice.

One trace covers it all: `orders publish` -> `orders process` -> `invoices publish`
-> `invoices process`, linked through the `traceparent` header of each message.
"""

import logging
{% set broker_names = ([broker.router_class] + broker.extra_imports) | sort | join(", ") %}
{%- if broker.faststream_imports %}
from faststream import {{ broker.faststream_imports | join(", ") }}
{%- endif %}
from {{ broker.module }} import {{ broker_names }}
from opentelemetry import trace

from {{ cookiecutter.package_name }}.models import Invoice, Order, price
{%- if cookiecutter.broker == "rabbit" %}
from {{ cookiecutter.package_name }}.queues import work_queue
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)
settings = Settings()
router = {{ broker.router_class }}()


{{ subscriber("settings.orders_topic") }}
@router.publisher({{ invoices_out }})
async def price_order(order: Order) -> Invoice:
    """Price an order and publish the invoice (the return value) to INVOICES_TOPIC."""
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


{{ subscriber("settings.invoices_topic") }}
async def dispatch_invoice(invoice: Invoice) -> None:
    """The end of the pipeline: hand the invoice over (here, to the log)."""
    trace.get_current_span().set_attribute("app.invoice.total", str(invoice.total))
    logger.info(
        "invoice for order %s ready for customer %s: %s",
        invoice.order_id,
        invoice.customer_id,
        invoice.total,
    )

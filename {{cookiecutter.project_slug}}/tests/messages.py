"""Sample messages shared by the tests."""

ORDER = {
    "order_id": "order-7",
    "customer_id": "customer-9",
    "items": [
        {"sku": "tea", "quantity": 2, "unit_price": "4.25"},
        {"sku": "mug", "quantity": 1, "unit_price": "7.90"},
    ],
}

INVOICE = {
    "order_id": "order-7",
    "customer_id": "customer-9",
    "item_count": 3,
    "total": "16.40",
}

# Valid JSON, wrong schema: the handler refuses it.
MALFORMED_ORDER = {"order_id": "order-8", "items": "three mugs"}

# Not JSON at all.
NOT_JSON = b"{order: 8"

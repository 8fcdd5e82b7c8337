{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""The service's broker on a real connection to the broker at BROKER_URL."""

import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from {{ broker.module }} import {{ broker.broker_class }}, {{ broker.test_broker }}

from {{ cookiecutter.package_name }}.topology import settings
from tests.integration.cleanup import remove_destinations

DEFAULT_PORT = {{ broker.default_port }}


def broker_address(url: str) -> tuple[str, int]:
    """Host and port of the first server in BROKER_URL (with or without a scheme)."""
    first = url.split(",")[0].strip()
    parts = urlsplit(first if "://" in first else f"//{first}")
    return parts.hostname or "localhost", parts.port or DEFAULT_PORT


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def broker_listening() -> None:
    """Skips, with the reason, the tests that need the broker at BROKER_URL when
    nothing listens there."""
    host, port = broker_address(settings.broker_url)
    if not reachable((host, port)):
        pytest.skip(
            f"no broker reachable at BROKER_URL={settings.broker_url!r} "
            f"({host}:{port}): start one with `docker compose up -d "
            "{{ broker.compose_service }}`, or point BROKER_URL at yours"
        )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def real_broker(
    broker_listening: None,
) -> AsyncIterator[{{ broker.broker_class }}]:
    """The app's broker, handlers and middleware on a real connection, shared by the
    session (joining consumer groups takes seconds); skipped, with the reason, when
    nothing listens at BROKER_URL."""
{%- if cookiecutter.broker == "rabbit" %}
    from {{ cookiecutter.package_name }}.app import (
        broker,
        prepare_dead_letter_queues,
    )
{%- else %}
    from {{ cookiecutter.package_name }}.app import broker
{%- endif %}

    async with {{ broker.test_broker }}(broker, with_real=True) as connected:
{%- if cookiecutter.broker == "rabbit" %}
        await prepare_dead_letter_queues()  # as the app does when it starts
{%- endif %}
        yield connected
        await remove_destinations(
            connected,
            [settings.orders_topic, settings.invoices_topic],
            settings.consumer_group,
        )

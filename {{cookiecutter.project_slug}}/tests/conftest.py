{%- set broker = cookiecutter._brokers[cookiecutter.broker] -%}
"""Shared fixtures: the service's own broker held in memory, and the spans it records.

No test reaches a real broker or backend: the broker is FastStream's in-memory test
broker, spans are collected by an `InMemorySpanExporter`, and the compose stack the
stack checker asks is a canned HTTP server on loopback.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from {{ broker.module }} import {{ broker.broker_class }}, {{ broker.test_broker }}
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.canned_http import CannedAnswers, canned_server


def pytest_configure() -> None:
    # The app reads its settings and the SDK reads OTEL_* when the app is first
    # imported, which happens after this (test modules are imported later), and child
    # interpreters that tests start inherit the same environment.
    # A developer's shell must not change what the tests see:
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        del os.environ[name]
    # and each run gets destinations and a group of its own, so reruns and parallel
    # runs against a shared real broker never see each other's messages.
    run = uuid.uuid4().hex[:8]
    os.environ["ORDERS_TOPIC"] = f"test-orders-{run}"
    os.environ["INVOICES_TOPIC"] = f"test-invoices-{run}"
    os.environ["CONSUMER_GROUP"] = f"test-{run}"
{%- if cookiecutter.broker == "nats" %}
    os.environ["STREAM_NAME"] = f"test-{run}"
{%- elif cookiecutter.broker == "redis" %}
    os.environ["CONSUMER_NAME"] = f"test-{run}"
{%- elif cookiecutter.broker == "mqtt" %}
    os.environ["MQTT_CLIENT_ID"] = f"test-{run}"
{%- endif %}


@pytest.fixture(scope="session")
def session_span_exporter() -> InMemorySpanExporter:
    from {{ cookiecutter.package_name }}.app import tracer_provider

    exporter = InMemorySpanExporter()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(
    session_span_exporter: InMemorySpanExporter,
) -> Iterator[InMemorySpanExporter]:
    """The spans the service records during one test."""
    session_span_exporter.clear()
    yield session_span_exporter
    session_span_exporter.clear()


@pytest.fixture
async def test_broker() -> AsyncIterator[{{ broker.broker_class }}]:
    """The service's broker, with its handlers and middleware, held in memory."""
    from {{ cookiecutter.package_name }}.app import broker

    async with {{ broker.test_broker }}(broker) as connected:
        yield connected


@pytest.fixture
def canned() -> Iterator[CannedAnswers]:
    """A local HTTP server with canned answers, standing in for the compose stack."""
    with canned_server() as server:
        yield server

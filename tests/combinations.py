"""The projects that are installed and run end to end, declared here, once, with
readable ids.

- CHECKED: every broker with every exporter (30 projects), each installed and put
  through its own unit tests, `mypy --strict` and ruff. Backends and Python versions
  rotate over them, so each appears several times, and every exporter meets every
  backend it is accepted with.
- INTEGRATION: one project per broker (every exporter and Python version at least
  once), whose integration tests run against a real broker.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from tests.template import BACKENDS, BROKERS, EXPORTERS, PYTHON_VERSIONS, refusal


@dataclass(frozen=True)
class Combination:
    broker: str
    exporter: str
    backend: str
    python_version: str

    @property
    def id(self) -> str:
        return f"{self.broker}-{self.exporter}-{self.backend}-py{self.python_version}"

    @property
    def context(self) -> dict[str, str]:
        return {
            "broker": self.broker,
            "exporter": self.exporter,
            "backend": self.backend,
            "python_version": self.python_version,
        }


def _rotated() -> list[Combination]:
    pythons = itertools.cycle(PYTHON_VERSIONS)
    checked = []
    for (b, broker), (e, exporter) in itertools.product(
        enumerate(BROKERS), enumerate(EXPORTERS)
    ):
        # Each broker shifts the exporter's backends by one, so every exporter meets
        # each backend it is accepted with (through a collector or not).
        accepted = [
            backend for backend in BACKENDS if refusal(exporter, backend) is None
        ]
        backend = accepted[(b + e) % len(accepted)]
        checked.append(Combination(broker, exporter, backend, next(pythons)))
    return checked


CHECKED = _rotated()

INTEGRATION = [
    Combination("kafka", "otlp-grpc", "jaeger", "3.11"),
    Combination("confluent", "otlp-http", "tempo", "3.12"),
    Combination("rabbit", "jaeger", "jaeger", "3.13"),
    Combination("nats", "zipkin", "zipkin", "3.13"),
    Combination("redis", "console", "none", "3.11"),
    Combination("mqtt", "otlp-grpc", "tempo", "3.12"),
]

STACKS = [
    Combination("kafka", "otlp-grpc", "jaeger", "3.13"),
    Combination("confluent", "otlp-http", "tempo", "3.12"),
    Combination("rabbit", "zipkin", "zipkin", "3.11"),
    Combination("nats", "jaeger", "jaeger", "3.13"),
    Combination("redis", "console", "none", "3.12"),
    # Through the OpenTelemetry Collector to Zipkin: OTLP, and Jaeger Thrift.
    Combination("mqtt", "otlp-grpc", "zipkin", "3.11"),
    Combination("redis", "jaeger", "zipkin", "3.13"),
    Combination("rabbit", "otlp-http", "jaeger", "3.12"),
]


def params(combinations: list[Combination]) -> list[object]:
    return [pytest.param(c, id=c.id) for c in combinations]

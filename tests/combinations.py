"""The projects that are installed and run end to end: every broker, every exporter and
every Python version at least once. Declared here, once, with readable ids."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


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


COVERING_SET = [
    Combination("kafka", "otlp-grpc", "jaeger", "3.11"),
    Combination("confluent", "otlp-http", "tempo", "3.12"),
    Combination("rabbit", "jaeger", "jaeger", "3.10"),
    Combination("nats", "zipkin", "zipkin", "3.13"),
    Combination("redis", "console", "none", "3.11"),
    Combination("mqtt", "otlp-grpc", "tempo", "3.12"),
]


def covering_params() -> list[object]:
    return [pytest.param(c, id=c.id) for c in COVERING_SET]

"""A local OTLP receiver for the benchmark: the real OTLP/gRPC trace, metrics and logs
services (opentelemetry-proto's generated stubs) on a port, counting what they receive.

Run by `benchmarks.run` with a generated OTLP/gRPC project's interpreter (which has
grpcio and opentelemetry-proto): `python otlp_receiver.py PORT COUNTS_FILE`. For
every export request it appends a line `<run> <signal> <count>` to COUNTS_FILE
(`spans`, `logs` for log records, `points` for metric data points), `<run>` being the
`benchmark.run` resource attribute the benchmark gives each measurement, before it
answers: once a service has flushed, the file holds what it sent.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass
from typing import Any, TextIO

import grpc
from opentelemetry.proto.collector.logs.v1 import (
    logs_service_pb2,
    logs_service_pb2_grpc,
)
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)

RUN_ATTRIBUTE = "benchmark.run"
MAX_MESSAGE = 64 * 1024 * 1024  # large batches of the BSP variants
# The fields of a metric that may hold data points, by kind.
POINT_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


class Counts:
    """The lines of COUNTS_FILE, written by the services' threads."""

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self.lock = threading.Lock()

    def add(self, resource: Any, signal: str, count: int) -> None:
        run = next(
            (
                attribute.value.string_value
                for attribute in resource.attributes
                if attribute.key == RUN_ATTRIBUTE
            ),
            "",
        )
        with self.lock:
            self.file.write(f"{run or '-'} {signal} {count}\n")
            self.file.flush()


def points(metrics: Iterable[Any]) -> int:
    total = 0
    for metric in metrics:
        kind = metric.WhichOneof("data")
        if kind in POINT_KINDS:
            total += len(getattr(metric, kind).data_points)
    return total


@dataclass(frozen=True)
class Service:
    """One OTLP service: its servicer base, how to register it, its response, where a
    request keeps resources and their scopes, and what a scope holds."""

    signal: str
    base: type
    register: Callable[[Any, Any], None]
    response: Callable[[], Any]
    resources: str
    scopes: str
    count: Callable[[Any], int]


SERVICES = [
    Service(
        "spans",
        trace_service_pb2_grpc.TraceServiceServicer,
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server,
        trace_service_pb2.ExportTraceServiceResponse,
        "resource_spans",
        "scope_spans",
        lambda scope: len(scope.spans),
    ),
    Service(
        "logs",
        logs_service_pb2_grpc.LogsServiceServicer,
        logs_service_pb2_grpc.add_LogsServiceServicer_to_server,
        logs_service_pb2.ExportLogsServiceResponse,
        "resource_logs",
        "scope_logs",
        lambda scope: len(scope.log_records),
    ),
    Service(
        "points",
        metrics_service_pb2_grpc.MetricsServiceServicer,
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server,
        metrics_service_pb2.ExportMetricsServiceResponse,
        "resource_metrics",
        "scope_metrics",
        lambda scope: points(scope.metrics),
    ),
]


def counting(service: Service, counts: Counts) -> Any:
    """A servicer of `service` that counts what each export request holds."""

    class Counting(service.base):  # type: ignore[misc, name-defined]
        def Export(self, request: Any, context: Any) -> Any:  # the gRPC method
            for resource in getattr(request, service.resources):
                number = sum(
                    service.count(scope) for scope in getattr(resource, service.scopes)
                )
                counts.add(resource.resource, service.signal, number)
            return service.response()

    return Counting()


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="utf-8") as file:
        counts = Counts(file)
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4),
            options=[("grpc.max_receive_message_length", MAX_MESSAGE)],
        )
        for service in SERVICES:
            service.register(counting(service, counts), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        server.wait_for_termination()


if __name__ == "__main__":
    main()

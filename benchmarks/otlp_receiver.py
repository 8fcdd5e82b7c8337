"""A local OTLP trace receiver for the benchmark: the real OTLP/gRPC trace service
(opentelemetry-proto's generated stubs) on a port, counting the spans it receives.

Run by `benchmarks.run` with a generated OTLP/gRPC project's interpreter (which has
grpcio and opentelemetry-proto): `python otlp_receiver.py PORT COUNTS_FILE`. For every
export request it appends a line `<run> <spans>` to COUNTS_FILE, `<run>` being the
`benchmark.run` resource attribute the benchmark gives each measurement, before it
answers: once a service has flushed its spans, the file holds them.
"""

from __future__ import annotations

import sys
import threading
from concurrent import futures
from typing import Any, TextIO

import grpc
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)

RUN_ATTRIBUTE = "benchmark.run"
MAX_MESSAGE = 64 * 1024 * 1024  # large batches of the BSP variants


class CountingTraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, counts: TextIO) -> None:
        self.counts = counts
        self.lock = threading.Lock()

    def Export(  # named as the gRPC method it implements
        self, request: Any, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource_spans in request.resource_spans:
            run = next(
                (
                    attribute.value.string_value
                    for attribute in resource_spans.resource.attributes
                    if attribute.key == RUN_ATTRIBUTE
                ),
                "",
            )
            spans = sum(len(scope.spans) for scope in resource_spans.scope_spans)
            with self.lock:
                self.counts.write(f"{run or '-'} {spans}\n")
                self.counts.flush()
        return trace_service_pb2.ExportTraceServiceResponse()


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    with open(path, "a", encoding="utf-8") as counts:
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4),
            options=[("grpc.max_receive_message_length", MAX_MESSAGE)],
        )
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(
            CountingTraceService(counts), server
        )
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()
        server.wait_for_termination()


if __name__ == "__main__":
    main()

"""From a metric to its trace, end to end: a generated service run as users run it
(`faststream run`), on a real Redis, pushing its metrics with
`OTEL_METRICS_EXPORTER=otlp` and `OTEL_METRICS_EXEMPLAR_FILTER=trace_based`, receives
an order sent with an upstream `traceparent`. What it pushes, over gRPC and over HTTP,
to a real OTLP receiver, holds `messaging.process.duration` exemplars in that order's
trace.

Redis, because a private one is cheap; the recording (durations.py) is the same code
for every broker. The receiver runs in the project's own interpreter, which has the
OTLP protocol packages (the suite's does not)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.combinations import Combination
from tests.faults import (
    STOPPED_BY_SIGTERM,
    BrokerServer,
    Service,
    project_environment,
    run_script,
)
from tests.projects import generate, install

pytestmark = pytest.mark.generated

UPSTREAM_TRACE = "0af7651916cd43dd8448eb211c80319c"
UPSTREAM_SPAN = "00f067aa0ba902b7"

RECEIVER = '''\
"""An OTLP endpoint on a free loopback port, over gRPC or HTTP (argv[1]): prints
`port N`, then `exemplar TRACE_ID` for each exemplar of messaging.process.duration."""

import sys
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)


def report(request):
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "messaging.process.duration":
                    continue
                for point in metric.histogram.data_points:
                    for exemplar in point.exemplars:
                        print("exemplar", exemplar.trace_id.hex(), flush=True)


def serve_grpc():
    import grpc
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
        def Export(self, request, context):
            report(request)
            return ExportMetricsServiceResponse()

    class Traces(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            return ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), server)
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("port", port, flush=True)
    server.wait_for_termination()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/metrics":
            report(ExportMetricsServiceRequest.FromString(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def serve_http():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("port", server.server_address[1], flush=True)
    server.serve_forever()


serve_grpc() if sys.argv[1] == "grpc" else serve_http()
'''

TRACED_PUBLISH = '''\
"""Publish one order as an upstream service in trace argv[1] (span argv[2]) would:
with its `traceparent`, sampled."""

import asyncio
import sys

from faststream.redis import RedisBroker

from {package}.topology import address, settings
from tests.messages import ORDER


async def main(trace_id: str, span_id: str) -> None:
    broker = RedisBroker(settings.broker_url)
    await broker.connect()
    await broker.publish(
        ORDER,
        headers={{"traceparent": f"00-{{trace_id}}-{{span_id}}-01"}},
        **address(settings.orders_topic),
    )
    await broker.stop()


asyncio.run(main(sys.argv[1], sys.argv[2]))
'''


@pytest.fixture(scope="module", params=["otlp-grpc", "otlp-http"])
def project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = generate(
        tmp_path_factory.mktemp("exemplars"),
        Combination("redis", request.param, "none", "3.11"),
    )
    install(path, "3.11")
    package = path.name.replace("-", "_")
    (path / "exemplar_receiver.py").write_text(RECEIVER)
    (path / "traced_publish.py").write_text(TRACED_PUBLISH.format(package=package))
    return path


@pytest.fixture
def receiver(project: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The OTLP receiver, speaking the protocol of the project's exporter."""
    protocol = "grpc" if any(project.glob("src/*/exporters/otlp_grpc.py")) else "http"
    process = subprocess.Popen(
        [str(project / ".venv" / "bin" / "python"), "exemplar_receiver.py", protocol],
        cwd=project,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    word, port = process.stdout.readline().split()
    assert word == "port"
    yield int(port), process
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def test_an_upstream_order_s_processing_time_is_pushed_with_its_trace(
    project: Path,
    private_redis: BrokerServer,
    receiver: tuple[int, subprocess.Popen[str]],
) -> None:
    port, receiving = receiver
    run = uuid.uuid4().hex[:8]
    environment = project_environment(
        BROKER_URL=f"redis://127.0.0.1:{private_redis.port}",
        ORDERS_TOPIC=f"orders-{run}",
        INVOICES_TOPIC=f"invoices-{run}",
        CONSUMER_GROUP=f"exemplars-{run}",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_METRICS_EXEMPLAR_FILTER="trace_based",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
    )
    app = Service(project, environment, f"{project.name.replace('-', '_')}.app:app")
    try:
        run_script(
            project, environment, "traced_publish.py", UPSTREAM_TRACE, UPSTREAM_SPAN
        )
        app.wait_for_line("invoice for order", timeout=60)
        app.terminate()  # a clean stop pushes the metrics still held
    finally:
        app.kill()
    assert app.process.returncode == STOPPED_BY_SIGTERM, app.log()

    receiving.terminate()
    received, _ = receiving.communicate(timeout=30)
    exemplars = [
        line.split()[1]
        for line in received.splitlines()
        if line.startswith("exemplar ")
    ]
    # The order's and its invoice's processing (the invoice carries the order's trace
    # on): each measured inside its span, each keeping that trace.
    assert len(exemplars) == 2, received
    assert set(exemplars) == {UPSTREAM_TRACE}

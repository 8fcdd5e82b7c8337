"""A local HTTP endpoint that records what is POSTed to it: the receiving end of the
HTTP span exporters, on a free loopback port."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    content_type: str
    body: bytes


@dataclass
class HttpReceiver:
    port: int
    requests: list[Received] = field(default_factory=list)


@contextmanager
def http_receiver(
    status: int, reply: bytes, content_type: str
) -> Iterator[HttpReceiver]:
    """Serve on 127.0.0.1, answering every POST with `status` and `reply`."""
    receiver = HttpReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            receiver.requests.append(
                Received(
                    self.path,
                    self.headers.get("Content-Type", ""),
                    self.rfile.read(length),
                )
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test reads the requests, not a log

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    # Checks for shutdown every 20 ms rather than 500: stopping does not hold a test up.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()

"""A local HTTP server that answers GET requests with canned answers, standing in
for the services of the compose stack, which unit tests cannot run."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# A status and a body: JSON, or text when a str.
Answer = tuple[int, Any]


class CannedAnswers:
    """Answers by path (the query is not matched), given in order; the last one
    repeats. Paths with no answer get 404. `asked` holds every request's full path."""

    def __init__(self) -> None:
        self.url = ""
        self.asked: list[str] = []
        self._routes: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()

    def answer(self, path: str, *answers: Answer) -> None:
        self._routes[path] = list(answers)

    def next_answer(self, path_and_query: str) -> Answer:
        with self._lock:
            self.asked.append(path_and_query)
            answers = self._routes.get(urlsplit(path_and_query).path)
            if not answers:
                return 404, "no canned answer"
            return answers.pop(0) if len(answers) > 1 else answers[0]


@contextmanager
def canned_server() -> Iterator[CannedAnswers]:
    canned = CannedAnswers()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = canned.next_answer(self.path)
            text = isinstance(body, str)
            data = (body if text else json.dumps(body)).encode()
            self.send_response(status)
            kind = "text/plain" if text else "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: pytest shows what the tests assert."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # Checks for shutdown every 20 ms rather than 500: stopping does not hold a test up.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    canned.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield canned
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

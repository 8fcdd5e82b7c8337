"""A GET sent straight to the app's ASGI interface, as uvicorn would send it: the
endpoints' own code runs, without a server or a port."""

from faststream.asgi import AsgiFastStream
from faststream.asgi.types import Message, Scope


async def asgi_get(app: AsgiFastStream, path: str) -> tuple[int, bytes]:
    """The status and body of `GET path`."""
    scope: Scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start, body = sent
    return start["status"], body["body"]

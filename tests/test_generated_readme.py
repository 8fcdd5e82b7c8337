"""The generated README's notes for a first run: what to have, in what order, and
what the stack needs from the machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def readme(cookies: Any, **answers: str) -> str:
    result = cookies.bake(extra_context=answers)
    assert result.exit_code == 0, result.exception
    return " ".join((Path(result.project_path) / "README.md").read_text().split())


def test_the_first_run_is_in_the_order_it_works(cookies: Any) -> None:
    text = readme(cookies, backend="jaeger")

    assert text.index("git init") < text.index("uv sync") < text.index("uv run pytest")
    assert "writes `uv.lock`: commit it" in text
    assert "`uv sync --locked`" in text
    assert "uvx pre-commit install" in text
    assert "(after git init)" in text
    assert "Docker Compose 2.24 or newer" in text
    assert "uv run faststream docs serve my_faststream_service.app:app" in text


def test_a_collector_on_a_linux_host_must_listen_on_the_bridge(cookies: Any) -> None:
    text = readme(cookies, backend="none")

    assert "On Linux, `host.docker.internal` is the host's address" in text
    assert "not only on 127.0.0.1" in text

"""Log records captured as the service's own log handler sees them."""

import logging

from {{ cookiecutter.package_name }}.logs import TraceContextFilter


class RecordList(logging.Handler):
    """Keeps the records a logger emits, with the trace ids the service adds."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(TraceContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

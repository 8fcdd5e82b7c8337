"""Reading the OTEL_*_EXPORTER variables: comma-separated names, checked against the
ones this service knows."""

import logging
import os

logger = logging.getLogger(__name__)


def requested_exporters(
    variable: str, accepted: tuple[str, ...], note: str
) -> set[str]:
    """The names in `variable`. One this service does not know is a mistake to fix,
    not to guess at: it is logged, with `note` on what the service does anyway, and
    the service exits."""
    value = os.environ.get(variable, "")
    names = {name.strip().lower() for name in value.split(",") if name.strip()}
    if unknown := names - set(accepted):
        logger.critical(
            "%s=%r: %s unknown here; use %s (%s)",
            variable,
            value,
            ", ".join(sorted(unknown)),
            " or ".join(accepted),
            note,
        )
        raise SystemExit(2)
    return names

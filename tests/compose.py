"""Reading a generated compose stack: compose.yaml with the files it includes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml


@cache
def compose_schema() -> dict[str, Any]:
    """The Compose Specification schema that check-jsonschema ships."""
    schema = files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    return dict(json.loads(schema.read_text()))


def validate_compose_file(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    jsonschema.validate(document, compose_schema())
    return dict(document)


# Compose interpolation with a default, `${NAME:-default}`.
DEFAULTED = re.compile(r"\$\{(?P<name>\w+):-(?P<default>[^}]*)\}")


@dataclass(frozen=True)
class Service:
    name: str
    spec: dict[str, Any]
    directory: Path  # relative paths in the spec are relative to this
    declared_volumes: frozenset[str] = frozenset()  # by the file that defines it

    @property
    def environment(self) -> dict[str, str]:
        """The variables as compose sets them when neither .env nor the shell
        defines any: `${NAME:-default}` gives its default."""
        return {
            key: DEFAULTED.sub(lambda match: match["default"], str(value))
            for key, value in (self.spec.get("environment") or {}).items()
        }

    def mounts(self) -> list[tuple[Path, str, str]]:
        """Bind mounts as (host path, container path, mode)."""
        mounts = []
        for volume in self.spec.get("volumes", []):
            source, target, *mode = str(volume).split(":")
            if source.startswith((".", "/")):
                mode_given = mode[0] if mode else ""
                mounts.append((self.directory / source, target, mode_given))
        return mounts

    def named_volumes(self) -> list[str]:
        """The volumes it mounts by name (compose keeps their data)."""
        sources = (str(volume).split(":")[0] for volume in self.spec.get("volumes", []))
        return [source for source in sources if not source.startswith((".", "/"))]


def load_stack(project: Path) -> dict[str, Service]:
    """Every service of the project's stack, each file validated on the way."""
    root = validate_compose_file(project / "compose.yaml")
    services = {
        name: Service(name, spec, project, frozenset(root.get("volumes") or {}))
        for name, spec in root["services"].items()
    }
    for included in root.get("include", []):
        path = project / included
        document = validate_compose_file(path)
        volumes = frozenset(document.get("volumes") or {})
        for name, spec in document["services"].items():
            assert name not in services, f"{name} is defined twice"
            services[name] = Service(name, spec, path.parent, volumes)
    return services


@dataclass(frozen=True)
class Endpoint:
    protocol: str
    host: str
    port: int
    path: str = ""


def exporter_endpoint(exporter: str, environment: dict[str, str]) -> Endpoint | None:
    """Where the service's exporter sends spans, read as the exporter itself reads
    its variables."""
    if exporter == "jaeger":
        host = environment["OTEL_EXPORTER_JAEGER_AGENT_HOST"]
        return Endpoint(
            "jaeger-thrift-compact",
            host,
            int(environment["OTEL_EXPORTER_JAEGER_AGENT_PORT"]),
        )
    if exporter == "console":
        return None
    variable = {
        "otlp-grpc": "OTEL_EXPORTER_OTLP_ENDPOINT",
        "otlp-http": "OTEL_EXPORTER_OTLP_ENDPOINT",
        "zipkin": "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
    }[exporter]
    url = urlsplit(environment[variable])
    assert url.hostname is not None
    assert url.port is not None
    # The OTLP HTTP exporter appends the signal's path to the generic endpoint.
    path = "/v1/traces" if exporter == "otlp-http" else url.path
    protocol = "zipkin-json" if exporter == "zipkin" else exporter
    return Endpoint(protocol, url.hostname, url.port, path)


# What each receiver of the collector's configuration format (which Tempo's
# distributor shares) takes, and where: (receiver type, protocol key or None) ->
# (what the exporter speaks, the path it posts to).
RECEIVER_PROTOCOLS = {
    ("otlp", "grpc"): ("otlp-grpc", ""),
    ("otlp", "http"): ("otlp-http", "/v1/traces"),
    ("jaeger", "thrift_compact"): ("jaeger-thrift-compact", ""),
    ("zipkin", None): ("zipkin-json", "/api/v2/spans"),
}


def listening_port(endpoint: str) -> int:
    host, number = endpoint.rsplit(":", 1)
    assert host == "0.0.0.0", f"{endpoint}: other containers could not reach it"
    return int(number)


def receiver_endpoints(receivers: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(protocol, port, path) of each receiver in a collector-style `receivers:`
    block; every receiver and protocol in it must be one of RECEIVER_PROTOCOLS."""
    found = []
    for receiver_id, spec in receivers.items():
        kind = receiver_id.split("/", 1)[0]
        protocols = spec.get("protocols") if spec else None
        listed = protocols.items() if protocols else [(None, spec)]
        for protocol, settings in listed:
            speaks, path = RECEIVER_PROTOCOLS[(kind, protocol)]
            found.append((speaks, listening_port(settings["endpoint"]), path))
    return found


def pipeline_errors(config: dict[str, Any]) -> list[str]:
    """What is wrong with an OpenTelemetry Collector configuration's wiring: a
    pipeline naming a component that is not defined, or a defined component (or
    extension) that nothing uses."""
    errors = []
    service = config["service"]
    for kind in ("receivers", "processors", "exporters"):
        defined = set(config.get(kind) or {})
        used = set()
        for name, pipeline in service["pipelines"].items():
            for component in pipeline.get(kind, []):
                used.add(component)
                if component not in defined:
                    errors.append(f"pipeline {name} uses undefined {kind}: {component}")
        errors += [f"{kind} defined but unused: {c}" for c in sorted(defined - used)]
    for name, pipeline in service["pipelines"].items():
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            errors.append(f"pipeline {name} needs receivers and exporters")
    extensions = set(config.get("extensions") or {})
    if extensions != set(service.get("extensions", [])):
        errors.append(
            f"extensions defined {extensions}, enabled {service['extensions']}"
        )
    return errors

"""The compose stack of every accepted combination: valid against the Compose
Specification, pinned, healthy before use, local-only, its mounted configuration
present, and the service's exporter aimed at a receiver the backend really has.

No container engine runs here, so what each image listens on comes from the images'
own documentation (and, for Tempo, from the configuration the stack mounts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compose import Endpoint, Service, exporter_endpoint, load_stack
from tests.template import BROKER_TABLE, all_combinations, refusal

ACCEPTED = [
    pytest.param(broker, exporter, backend, id=f"{broker}-{exporter}-{backend}")
    for broker, exporter, backend in all_combinations()
    if refusal(exporter, backend) is None
]

# What each backend image receives, by its documentation (host = its service name).
DOCUMENTED_RECEIVERS = {
    "jaegertracing/jaeger": [
        ("otlp-grpc", 4317, ""),
        ("otlp-http", 4318, "/v1/traces"),
        ("zipkin-json", 9411, "/api/v2/spans"),
        ("jaeger-thrift-compact", 6831, ""),
    ],
    "openzipkin/zipkin": [("zipkin-json", 9411, "/api/v2/spans")],
}
# Images whose Dockerfile declares a HEALTHCHECK of its own.
IMAGES_WITH_HEALTHCHECK = {"openzipkin/zipkin"}


def image_name(service: Service) -> str:
    return str(service.spec["image"]).rsplit(":", 1)[0]


def tempo_receivers(service: Service) -> list[tuple[str, int, str]]:
    """Tempo's receivers, read from the configuration the stack mounts for it."""
    (config_flag,) = [a for a in service.spec["command"] if a.startswith("-config")]
    config_path = config_flag.split("=", 1)[1]
    (source,) = [s for s, target, _ in service.mounts() if target == config_path]
    receivers = yaml.safe_load(source.read_text())["distributor"]["receivers"]

    def port(endpoint: str) -> int:
        host, number = endpoint.rsplit(":", 1)
        assert host == "0.0.0.0", f"{endpoint}: other containers could not reach it"
        return int(number)

    otlp = receivers["otlp"]["protocols"]
    return [
        ("otlp-grpc", port(otlp["grpc"]["endpoint"]), ""),
        ("otlp-http", port(otlp["http"]["endpoint"]), "/v1/traces"),
        ("zipkin-json", port(receivers["zipkin"]["endpoint"]), "/api/v2/spans"),
        (
            "jaeger-thrift-compact",
            port(receivers["jaeger"]["protocols"]["thrift_compact"]["endpoint"]),
            "",
        ),
    ]


def receivers(service: Service) -> set[Endpoint]:
    if image_name(service) == "grafana/tempo":
        listed = tempo_receivers(service)
    else:
        listed = DOCUMENTED_RECEIVERS[image_name(service)]
    return {
        Endpoint(protocol, service.name, port, path) for protocol, port, path in listed
    }


def bake(cookies: Any, broker: str, exporter: str, backend: str) -> Path:
    result = cookies.bake(
        extra_context={"broker": broker, "exporter": exporter, "backend": backend}
    )
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.mark.parametrize(("broker", "exporter", "backend"), ACCEPTED)
def test_compose_stack(cookies: Any, broker: str, exporter: str, backend: str) -> None:
    project = bake(cookies, broker, exporter, backend)
    stack = load_stack(project)
    app = stack["app"]
    table = BROKER_TABLE[broker]

    # Only the chosen broker and backend, Prometheus and Grafana, and the service
    # built from the Dockerfile.
    expected = {"app", str(table["compose_service"]), "prometheus", "grafana"}
    expected |= {"none": set()}.get(backend, {backend})
    assert set(stack) == expected
    assert app.spec["build"] == "."

    for service in stack.values():
        if "image" in service.spec:
            name, _, tag = str(service.spec["image"]).rpartition(":")
            assert name, f"{service.name}: image without a tag"
            assert tag not in ("", "latest"), f"{service.name}: tag {tag!r}"
        for published in service.spec.get("ports", []):
            assert str(published).startswith("127.0.0.1:"), (
                f"{service.name}: {published}"
            )
        for source, _, mode in service.mounts():
            assert source.is_file(), f"{service.name} mounts a missing {source}"
            assert mode == "ro", f"{service.name} mounts {source} writable"
            assert yaml.safe_load(source.read_text()), source
        for dependency, condition in service.spec.get("depends_on", {}).items():
            assert dependency in stack
            if condition["condition"] == "service_healthy":
                target = stack[dependency]
                assert (
                    "healthcheck" in target.spec
                    or image_name(target) in IMAGES_WITH_HEALTHCHECK
                ), f"{service.name} waits on {dependency}'s health; it has no check"

    assert set(app.spec["depends_on"]) == expected - {"app", "prometheus", "grafana"}
    # `--scale app=3` works: no fixed name, no published port to clash over.
    assert not {"container_name", "ports"} & set(app.spec)

    # The service reaches the broker on an address its container listens on.
    broker_url = app.environment["BROKER_URL"]
    assert str(table["compose_service"]) in broker_url
    if broker in ("kafka", "confluent"):
        kafka = stack["kafka"].environment
        assert "INTERNAL://kafka:19092" in kafka["KAFKA_ADVERTISED_LISTENERS"]
        assert "INTERNAL://:19092" in kafka["KAFKA_LISTENERS"]
        assert broker_url == "kafka:19092"
        # Work is shared by partition: auto-created topics must have several.
        assert int(kafka["KAFKA_NUM_PARTITIONS"]) >= 3
    else:
        assert broker_url.endswith(f":{table['default_port']}") or broker_url.endswith(
            f":{table['default_port']}/"
        )

    # The exporter sends to a receiver that is really there.
    endpoint = exporter_endpoint(exporter, app.environment)
    if endpoint is None:
        assert backend == "none"
    elif backend == "none":
        assert endpoint.host == "host.docker.internal"
        assert "host.docker.internal:host-gateway" in app.spec["extra_hosts"]
    else:
        assert endpoint in receivers(stack[endpoint.host]), (
            f"{exporter} sends to {endpoint}; {endpoint.host} receives "
            f"{sorted(map(str, receivers(stack[endpoint.host])))}"
        )


def test_grafana_is_provisioned_with_prometheus_and_tempo(cookies: Any) -> None:
    project = bake(cookies, "redis", "otlp-grpc", "tempo")
    stack = load_stack(project)
    grafana = stack["grafana"]

    (source,) = [s for s, target, _ in grafana.mounts() if "datasources" in target]
    prometheus, tempo = yaml.safe_load(source.read_text())["datasources"]
    assert (prometheus["type"], prometheus["url"]) == (
        "prometheus",
        "http://prometheus:9090",
    )
    assert (tempo["type"], tempo["url"]) == ("tempo", "http://tempo:3200")
    assert tempo["jsonData"]["tracesToMetrics"]["datasourceUid"] == prometheus["uid"]
    assert grafana.environment["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert "127.0.0.1:3200:3200" in stack["tempo"].spec["ports"]
    # Anonymous admin access is said to be for local use only, where it is set and
    # in the README.
    stack_file = " ".join((project / "compose" / "monitoring.yaml").read_text().split())
    assert "without a login: for local use only" in stack_file
    readme = " ".join((project / "README.md").read_text().split())
    assert "Grafana (anonymous admin access, for local use only)" in readme

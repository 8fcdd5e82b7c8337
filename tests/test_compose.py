"""The compose stack of every accepted combination: valid against the Compose
Specification, pinned, healthy before use, local-only, its mounted configuration
present, and the service's exporter aimed at a receiver the backend really has (or
at an OpenTelemetry Collector whose pipeline is whole and ends in the backend).

No container engine runs here, so what each image listens on comes from the images'
own documentation (and, for Tempo and the OpenTelemetry Collector, from the
configuration the stack mounts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.compose import (
    Endpoint,
    Service,
    exporter_endpoint,
    listening_port,
    load_stack,
    pipeline_errors,
    receiver_endpoints,
)
from tests.template import (
    BACKEND_TABLE,
    BROKER_TABLE,
    EXPORTER_TABLE,
    all_combinations,
    refusal,
)

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
    # Its collector's configuration (docker/otelcol-config.yaml in its repository).
    "grafana/otel-lgtm": [
        ("otlp-grpc", 4317, ""),
        ("otlp-http", 4318, "/v1/traces"),
    ],
}
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib"
# Images whose Dockerfile declares a HEALTHCHECK of its own.
IMAGES_WITH_HEALTHCHECK = {"openzipkin/zipkin"}


def image_name(service: Service) -> str:
    return str(service.spec["image"]).rsplit(":", 1)[0]


def mounted_config(service: Service) -> dict[str, Any]:
    """The configuration file named by the service's `-config`/`--config` flag, read
    from what the stack mounts there."""
    (config_flag,) = [a for a in service.spec["command"] if "-config" in a]
    config_path = config_flag.split("=", 1)[1]
    (source,) = [s for s, target, _ in service.mounts() if target == config_path]
    return dict(yaml.safe_load(source.read_text()))


def tempo_receivers(service: Service) -> list[tuple[str, int, str]]:
    """Tempo's receivers, read from the configuration the stack mounts for it."""
    return receiver_endpoints(mounted_config(service)["distributor"]["receivers"])


def collector_receivers(service: Service) -> list[tuple[str, int, str]]:
    """The OpenTelemetry Collector's receivers, from its mounted configuration."""
    return receiver_endpoints(mounted_config(service)["receivers"])


def receivers(service: Service) -> set[Endpoint]:
    if image_name(service) == "grafana/tempo":
        listed = tempo_receivers(service)
    elif image_name(service) == COLLECTOR_IMAGE:
        listed = collector_receivers(service)
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

    # Only the chosen broker and backend (with a collector in front of it if it
    # cannot receive the exporter's format), Prometheus and Grafana, and the
    # service built from the Dockerfile.
    via_collector = exporter in BACKEND_TABLE[backend]["collector_for"]
    collector = {"otel-collector", "otel-collector-health"} if via_collector else set()
    # A backend that brings Grafana and Prometheus (lgtm) replaces the stack's own.
    monitoring = (
        set()
        if BACKEND_TABLE[backend]["brings_grafana"]
        else {
            "prometheus",
            "grafana",
        }
    )
    expected = {"app", str(table["compose_service"])} | monitoring
    expected |= collector | {"none": set()}.get(backend, {backend})
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
            if source.suffix in (".yaml", ".yml"):
                assert yaml.safe_load(source.read_text()), source
        for volume in service.named_volumes():
            assert volume in service.declared_volumes, (
                f"{service.name} mounts volume {volume}, which its file never declares"
            )
        for dependency, condition in service.spec.get("depends_on", {}).items():
            assert dependency in stack
            if condition["condition"] == "service_healthy":
                target = stack[dependency]
                assert (
                    "healthcheck" in target.spec
                    or image_name(target) in IMAGES_WITH_HEALTHCHECK
                ), f"{service.name} waits on {dependency}'s health; it has no check"

    assert set(app.spec["depends_on"]) == expected - {
        "app",
        "prometheus",
        "grafana",
        "otel-collector",
    }
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
        # Only a default: .env or the shell may name another collector. (The
        # metrics go to the stack's own Prometheus.)
        pushed = {
            line.split(":", 1)[0]
            for line in EXPORTER_TABLE[exporter]["compose_metrics_env"]  # type: ignore[attr-defined]
        }
        for variable, value in app.spec["environment"].items():
            if variable.startswith("OTEL_") and variable not in pushed:
                assert str(value).startswith(f"${{{variable}:-"), value
    else:
        assert endpoint.host == ("otel-collector" if via_collector else backend)
        assert endpoint in receivers(stack[endpoint.host]), (
            f"{exporter} sends to {endpoint}; {endpoint.host} receives "
            f"{sorted(map(str, receivers(stack[endpoint.host])))}"
        )
    if via_collector:
        check_collector(stack, backend)


def check_collector(stack: dict[str, Service], backend: str) -> None:
    """The collector's pipeline is whole, each receiver reachable where it listens,
    its exporter aimed at a receiver the backend has, and its health answered where
    the health container asks."""
    collector = stack["otel-collector"]
    config = mounted_config(collector)
    assert pipeline_errors(config) == []

    published = {
        str(port).rsplit(":", 1)[1].removesuffix("/udp")
        for port in collector.spec["ports"]
    }
    for _, port, _ in collector_receivers(collector):
        assert str(port) in published, f"receiver port {port} is not published"

    (exporter_id,) = config["exporters"]
    assert exporter_id.split("/", 1)[0] == "zipkin"
    url = urlsplit(config["exporters"][exporter_id]["endpoint"])
    assert url.hostname is not None
    assert url.port is not None
    sent = Endpoint("zipkin-json", url.hostname, url.port, url.path)
    assert sent.host == backend
    assert sent in receivers(stack[backend]), f"the collector sends to {sent}"

    health = config["extensions"]["health_check"]["endpoint"]
    check = stack["otel-collector-health"].spec["healthcheck"]["test"]
    assert check[0] == "CMD"
    assert f"http://otel-collector:{listening_port(health)}/" in check
    assert stack["otel-collector-health"].spec["depends_on"] == {
        "otel-collector": {"condition": "service_started"}
    }


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
    assert tempo["jsonData"]["serviceMap"]["datasourceUid"] == prometheus["uid"]
    assert prometheus["jsonData"]["exemplarTraceIdDestinations"] == [
        {"name": "trace_id", "datasourceUid": tempo["uid"]}
    ]
    assert grafana.environment["GF_AUTH_ANONYMOUS_ENABLED"] == "true"
    assert "127.0.0.1:3200:3200" in stack["tempo"].spec["ports"]
    # Anonymous admin access is said to be for local use only, where it is set and
    # in the README.
    stack_file = " ".join((project / "compose" / "monitoring.yaml").read_text().split())
    assert "without a login: for local use only" in stack_file
    readme = " ".join((project / "README.md").read_text().split())
    assert "Grafana (anonymous admin access, for local use only)" in readme


def test_a_collector_pipeline_that_does_not_add_up_is_caught(cookies: Any) -> None:
    project = bake(cookies, "nats", "jaeger", "zipkin")
    config = mounted_config(load_stack(project)["otel-collector"])
    assert pipeline_errors(config) == []
    traces = config["service"]["pipelines"]["traces"]

    unused = {
        **config,
        "service": {
            **config["service"],
            "pipelines": {"traces": {**traces, "receivers": ["otlp"]}},
        },
    }
    assert pipeline_errors(unused) == ["receivers defined but unused: jaeger"]

    undefined = {
        **config,
        "service": {
            **config["service"],
            "pipelines": {"traces": {**traces, "exporters": ["zipkin", "otlp_grpc"]}},
        },
    }
    assert pipeline_errors(undefined) == [
        "pipeline traces uses undefined exporters: otlp_grpc"
    ]


def test_tempo_reports_ready_streams_search_and_writes_the_service_graph(
    cookies: Any,
) -> None:
    project = bake(cookies, "redis", "otlp-grpc", "tempo")
    stack = load_stack(project)
    tempo = stack["tempo"]

    # Tempo 3's image is distroless with no shell: its binary checks /ready itself.
    assert str(tempo.spec["image"]).startswith("grafana/tempo:3.")
    assert tempo.spec["healthcheck"]["test"] == ["CMD", "/tempo", "-health"]
    assert stack["app"].spec["depends_on"]["tempo"] == {"condition": "service_healthy"}
    config = mounted_config(tempo)
    assert config["stream_over_http_enabled"] is True
    # Tempo 3 refuses 2.x's ingester and compactor blocks, and has no local-blocks.
    assert not {"ingester", "compactor"} & set(config)
    processors = config["overrides"]["defaults"]["metrics_generator"]["processors"]
    assert sorted(processors) == ["service-graphs", "span-metrics"]
    graphs = config["metrics_generator"]["processor"]["service_graphs"]
    assert "messaging.system" in graphs["peer_attributes"]  # the broker, a node
    (write,) = config["metrics_generator"]["storage"]["remote_write"]
    assert write["url"] == "http://prometheus:9090/api/v1/write"
    assert "--web.enable-remote-write-receiver" in stack["prometheus"].spec["command"]


PROMETHEUS_OTLP = "http://prometheus:9090/api/v1/otlp/v1/metrics"


@pytest.mark.parametrize("exporter", list(EXPORTER_TABLE))
def test_pushed_metrics_reach_prometheus_with_exemplars_and_count_once(
    cookies: Any, exporter: str
) -> None:
    # A trace backend the exporter is accepted with: the metrics' route is the same.
    backend = next(b for b in BACKEND_TABLE if refusal(exporter, b) is None)
    project = bake(cookies, "redis", exporter, backend)
    stack = load_stack(project)
    environment = stack["app"].environment
    prometheus = stack["prometheus"].spec["command"]
    scrape = yaml.safe_load(
        (project / "compose" / "prometheus" / "prometheus.yml").read_text()
    )
    (job,) = scrape["scrape_configs"]

    assert "--web.enable-otlp-receiver" in prometheus
    assert "--enable-feature=exemplar-storage" in prometheus
    if EXPORTER_TABLE[exporter]["pushes_metrics"]:
        assert environment["OTEL_METRICS_EXPORTER"] == "otlp"
        assert environment["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] == PROMETHEUS_OTLP
        # Prometheus takes OTLP over HTTP only.
        if exporter == "otlp-grpc":
            protocol = environment["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"]
            assert protocol == "http/protobuf"
        # The scraped copies of what is pushed would count each message twice.
        (drop,) = job["metric_relabel_configs"]
        assert drop == {
            "source_labels": ["__name__"],
            "regex": "messaging_.*",
            "action": "drop",
        }
    else:
        assert "OTEL_METRICS_EXPORTER" not in environment
        assert "metric_relabel_configs" not in job


def test_rabbitmq_is_healthy_once_its_client_port_is(cookies: Any) -> None:
    stack = load_stack(bake(cookies, "rabbit", "otlp-grpc", "jaeger"))

    check = stack["rabbitmq"].spec["healthcheck"]["test"]

    assert check == ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"]


# Where grafana/otel-lgtm takes Grafana provisioning: its README's place for custom
# dashboards, and the data sources file its Dockerfile copies (replaced here).
LGTM_PROVISIONING = "/otel-lgtm/grafana/conf/provisioning"


def test_lgtm_takes_all_three_signals_and_links_traces_and_logs(cookies: Any) -> None:
    project = bake(cookies, "redis", "otlp-http", "lgtm")
    stack = load_stack(project)
    lgtm, app = stack["lgtm"], stack["app"]

    assert lgtm.spec["image"] == "grafana/otel-lgtm:0.31.0"
    assert {"OTEL_METRICS_EXPORTER", "OTEL_LOGS_EXPORTER"} <= set(app.environment)
    assert app.environment["OTEL_METRICS_EXPORTER"] == "otlp"
    assert app.environment["OTEL_LOGS_EXPORTER"] == "otlp"
    assert app.environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://lgtm:4318"
    assert app.spec["depends_on"]["lgtm"] == {"condition": "service_healthy"}
    check = lgtm.spec["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL"
    assert "http://localhost:13133/ready" in check[1]  # the collector taking OTLP
    assert "http://localhost:3000/api/health" in check[1]
    # Its own Prometheus and Grafana replace the stack's: none of their files stay.
    compose = project / "compose"
    assert not (compose / "monitoring.yaml").exists()
    assert not (compose / "grafana" / "datasources.yaml").exists()

    mounts = {target: source for source, target, _ in lgtm.mounts()}
    sources = yaml.safe_load(
        mounts[f"{LGTM_PROVISIONING}/datasources/grafana-datasources.yaml"].read_text()
    )["datasources"]
    by_type = {source["type"]: source for source in sources}
    tempo, loki = by_type["tempo"], by_type["loki"]
    to_logs = tempo["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == loki["uid"]
    assert "${__trace.traceId}" in to_logs["query"].replace("$$", "$")
    (to_trace,) = loki["jsonData"]["derivedFields"]
    assert to_trace["datasourceUid"] == tempo["uid"]
    assert (to_trace["matcherType"], to_trace["matcherRegex"]) == ("label", "trace_id")

    provider = yaml.safe_load(
        mounts[f"{LGTM_PROVISIONING}/dashboards/faststream.yaml"].read_text()
    )["providers"][0]
    home = lgtm.environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.rsplit("/", 1)[0] == provider["options"]["path"]
    assert mounts[home] == compose / "grafana" / "faststream.json"

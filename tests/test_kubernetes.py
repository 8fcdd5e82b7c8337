"""The generated Kubernetes manifests: valid for current Kubernetes releases for every
broker, probing what the service serves, locked down, configured by the variables
the service reads, and scaled within what its broker can share out.

No cluster runs here: the manifests are checked against the API schemas
(`kubernetes-validate --strict`) and against the rest of the generated project."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compose import exporter_endpoint, load_stack
from tests.kubernetes import KUBERNETES_VERSIONS, kubernetes_validate, load_manifests
from tests.template import BROKER_TABLE, BROKERS, EXPORTERS, broker_prose

# The service's HTTP contract: where it answers probes and serves its metrics.
HTTP_PORT = 8000
LIVENESS_PATH = "/health/live"
READINESS_PATH = "/health/ready"
METRICS_PATH = "/metrics"

Bake = Callable[[str, str], Path]

# Each broker with an exporter, every exporter used at least once.
PROJECTS = [(broker, EXPORTERS[i % len(EXPORTERS)]) for i, broker in enumerate(BROKERS)]


@dataclass(frozen=True)
class Baked:
    broker: str
    exporter: str
    path: Path


@pytest.fixture(scope="module")
def bake(cookies_session: Any) -> Bake:
    """Bakes a project for a broker and exporter once per test process."""

    @cache
    def bake_once(broker: str, exporter: str) -> Path:
        result = cookies_session.bake(
            extra_context={"broker": broker, "exporter": exporter, "backend": "none"}
        )
        assert result.exit_code == 0, result.exception
        return Path(result.project_path)

    return bake_once


@pytest.fixture(params=PROJECTS, ids=[broker for broker, _ in PROJECTS])
def baked(request: pytest.FixtureRequest, bake: Bake) -> Baked:
    broker, exporter = request.param
    return Baked(broker, exporter, bake(broker, exporter))


def settings_variables(project: Path) -> set[str]:
    """The variables the service's settings classes read: field names in upper case,
    after the class's `env_prefix`."""
    package = project / "src" / project.name.replace("-", "_")
    names = set()
    for module in ("settings.py", "security.py"):
        tree = ast.parse((package / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                source = ast.unparse(node)
                prefix = re.search(r"env_prefix=['\"](\w+)['\"]", source)
                names |= {
                    (prefix[1] if prefix else "") + statement.target.id.upper()
                    for statement in node.body
                    if isinstance(statement, ast.AnnAssign)
                    and isinstance(statement.target, ast.Name)
                    and statement.target.id != "model_config"
                }
    return names


def port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def test_manifests_are_valid_for_current_kubernetes(baked: Baked) -> None:
    project = baked.path
    manifests = load_manifests(project)

    # The kustomization lists every manifest there is.
    on_disk = sorted(manifests.directory.glob("*.yaml"))
    assert sorted([*manifests.files, manifests.directory / "kustomization.yaml"]) == (
        on_disk
    )
    assert set(manifests.by_kind) == {
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate(version, manifests.files)


def test_a_misspelt_field_fails_validation(bake: Bake, tmp_path: Path) -> None:
    deployment = load_manifests(bake("kafka", "otlp-grpc"))["Deployment"]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 45
    broken = tmp_path / "deployment.yaml"
    broken.write_text(yaml.safe_dump(deployment))

    with pytest.raises(AssertionError, match="'terminationGracePeriod' was unexpected"):
        kubernetes_validate(KUBERNETES_VERSIONS[-1], [broken])


def test_settings_come_from_the_config_map_and_credentials_from_a_secret(
    baked: Baked,
) -> None:
    project = baked.path
    manifests = load_manifests(project)
    settings = manifests["ConfigMap"]["data"]
    container = manifests.container

    # Every setting is one the service reads (or the SDK: OTEL_*), as a string.
    read = settings_variables(project)
    assert {"BROKER_URL", "CONSUMER_GROUP", "LOG_LEVEL"} <= read
    assert {"BROKER_USERNAME", "BROKER_PASSWORD"} <= read
    for name, value in settings.items():
        assert name in read or name.startswith("OTEL_"), name
        assert isinstance(value, str), name
    assert settings["CONSUMER_GROUP"] == project.name
    assert settings["OTEL_SERVICE_NAME"] == project.name
    # The exporter's own variables, aimed at a collector in the cluster.
    endpoint = exporter_endpoint(baked.exporter, settings)
    assert (endpoint is None) == (baked.exporter == "console")
    assert endpoint is None or endpoint.host == "otel-collector"
    table = BROKER_TABLE[baked.broker]
    assert str(table["compose_service"]) in settings["BROKER_URL"]

    # No credential is shipped: the pod takes them from a Secret the user creates,
    # whose values win over the ConfigMap's (later in `envFrom`).
    assert not {"BROKER_USERNAME", "BROKER_PASSWORD"} & set(settings)
    for path in manifests.files:
        assert "kind: Secret" not in path.read_text()
    configmap, secret = container["envFrom"]
    assert configmap == {
        "configMapRef": {"name": manifests["ConfigMap"]["metadata"]["name"]}
    }
    secret_name = secret["secretRef"]["name"]
    readme = " ".join((project / "README.md").read_text().split())
    assert f"kubectl create secret generic {secret_name}" in readme


def test_spans_carry_the_pod_and_node_names(baked: Baked) -> None:
    container = load_manifests(baked.path).container

    env = container["env"]
    names = [variable["name"] for variable in env]
    (attributes,) = [v["value"] for v in env if v["name"] == "OTEL_RESOURCE_ATTRIBUTES"]
    pairs = dict(pair.split("=", 1) for pair in attributes.split(","))
    fields = {
        v["name"]: v["valueFrom"]["fieldRef"]["fieldPath"]
        for v in env
        if "valueFrom" in v
    }
    for attribute, field in [
        ("k8s.pod.name", "metadata.name"),
        ("k8s.node.name", "spec.nodeName"),
        ("k8s.namespace.name", "metadata.namespace"),
    ]:
        reference = re.fullmatch(r"\$\((\w+)\)", pairs[attribute])
        assert reference, f"{attribute}={pairs[attribute]}"
        variable = reference[1]
        assert fields[variable] == field
        # Kubernetes expands $(NAME) only from variables defined before it.
        assert names.index(variable) < names.index("OTEL_RESOURCE_ATTRIBUTES")


def served_paths(project: Path) -> set[str]:
    """The paths the generated app routes to its ASGI endpoints."""
    package = project / "src" / project.name.replace("-", "_")
    app = (package / "app.py").read_text()
    routes = app[app.index("asgi_routes=[") : app.index("],", app.index("asgi_routes"))]
    return set(re.findall(r'\("(/[^"]*)",', routes))


def default_http_port(project: Path) -> int:
    """HTTP_PORT's default in the generated settings."""
    package = project / "src" / project.name.replace("-", "_")
    tree = ast.parse((package / "settings.py").read_text())
    (field,) = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.target.id == "http_port"
    ]
    assert isinstance(field, ast.Call)
    (default,) = [k.value for k in field.keywords if k.arg == "default"]
    return int(ast.literal_eval(default))


def test_the_service_serves_the_contract(bake: Bake) -> None:
    project = bake("kafka", "otlp-grpc")

    assert served_paths(project) == {LIVENESS_PATH, READINESS_PATH, METRICS_PATH}
    assert default_http_port(project) == HTTP_PORT
    dockerfile = (project / "Dockerfile").read_text()
    assert re.search(rf"\bHTTP_PORT={HTTP_PORT}\b", dockerfile)
    assert '--port \\"$HTTP_PORT\\"' in dockerfile


def test_probes_and_metrics_are_where_the_service_serves_them(bake: Bake) -> None:
    manifests = load_manifests(bake("kafka", "otlp-grpc"))
    container = manifests.container

    live = container["livenessProbe"]["httpGet"]
    ready = container["readinessProbe"]["httpGet"]
    assert live["path"] == LIVENESS_PATH
    assert ready["path"] == READINESS_PATH
    assert port_number(container, live["port"]) == HTTP_PORT
    assert port_number(container, ready["port"]) == HTTP_PORT

    service = manifests["Service"]
    (port,) = service["spec"]["ports"]
    assert port_number(container, port["targetPort"]) == HTTP_PORT
    annotations = service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(HTTP_PORT)
    assert annotations["prometheus.io/path"] == METRICS_PATH


def test_the_pod_is_locked_down(bake: Bake) -> None:
    project = bake("kafka", "otlp-grpc")
    manifests = load_manifests(project)
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    container = manifests.container

    # The user the image runs as, and nothing that would let it become another.
    (user,) = re.findall(
        r"^USER (\d+):(\d+)$", (project / "Dockerfile").read_text(), re.M
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert (
        pod["securityContext"]["runAsUser"],
        pod["securityContext"]["runAsGroup"],
    ) == tuple(map(int, user))
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    # The read-only root leaves /tmp writable, on a bounded emptyDir.
    (mount,) = container["volumeMounts"]
    (volume,) = pod["volumes"]
    assert mount == {"name": volume["name"], "mountPath": "/tmp"}
    assert "sizeLimit" in volume["emptyDir"]

    resources = container["resources"]
    assert set(resources) == {"requests", "limits"}
    assert {"cpu", "memory"} <= set(resources["requests"]) & set(resources["limits"])


def test_the_grace_period_outlasts_the_drain(bake: Bake) -> None:
    project = bake("nats", "zipkin")
    grace = load_manifests(project)["Deployment"]["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"
    ]

    # Compose's stop_grace_period is sized to the drain (graceful_timeout, then
    # one span export); Kubernetes gives at least as long, with room to spare.
    stop_grace = load_stack(project)["app"].spec["stop_grace_period"]
    assert re.fullmatch(r"\d+s", stop_grace)
    assert grace > int(stop_grace[:-1])


def test_autoscaling_stays_within_what_the_broker_shares_out(baked: Baked) -> None:
    project = baked.path
    manifests = load_manifests(project)
    deployment = manifests["Deployment"]
    hpa = manifests["HorizontalPodAutoscaler"]["spec"]

    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["maxReplicas"] == BROKER_TABLE[baked.broker]["max_replicas"]
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    # The autoscaler owns the replica count.
    assert "replicas" not in deployment["spec"]
    if baked.broker in ("kafka", "confluent"):
        # One replica per partition: the most a consumer group can give work to.
        kafka = yaml.safe_load((project / "compose" / "kafka.yaml").read_text())
        partitions = kafka["services"]["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"]
        assert hpa["maxReplicas"] == partitions

    # The budget, the Service and the Deployment select the same pods.
    labels = manifests.pod_labels
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert (
        manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == selector
    )
    assert manifests["Service"]["spec"]["selector"] == selector
    # The README explains the ceiling for this broker.
    readme = " ".join((project / "README.md").read_text().split())
    assert " ".join(broker_prose(baked.broker, "autoscaling.md").split()) in readme

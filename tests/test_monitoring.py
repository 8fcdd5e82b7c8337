"""The generated Prometheus and Grafana files, checked as Prometheus and Grafana would
read them: every backend's configuration and rules pass `promtool`, each alert fires
and stays quiet when it should (`promtool test rules`), and the dashboard asks only
provisioned data sources, with a query in every panel.

No Grafana runs here and no package offers Grafana's dashboard schema offline, so the
dashboard is checked for what Grafana needs to show it; its queries are run against a
real Prometheus scraping a real service in test_monitoring_live.py."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.template import BACKEND_TABLE, BACKENDS

RULE_TESTS = Path(__file__).parent / "prometheus" / "alerts_test.yml"


def promtool(*arguments: str, cwd: Path) -> str:
    result = subprocess.run(
        ["promtool", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def bake(cookies: Any, backend: str) -> Path:
    exporter = "zipkin" if backend == "zipkin" else "otlp-grpc"
    # (lgtm brings Prometheus and Grafana of its own, fed over OTLP.)
    result = cookies.bake(
        extra_context={"broker": "redis", "exporter": exporter, "backend": backend}
    )
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.mark.parametrize("backend", BACKENDS)
def test_prometheus_files_pass_promtool(cookies: Any, backend: str) -> None:
    prometheus = bake(cookies, backend) / "compose" / "prometheus"

    if BACKEND_TABLE[backend]["brings_grafana"]:
        # Its own Prometheus is fed over OTLP; the rules stay for yours.
        assert not (prometheus / "prometheus.yml").exists()
    else:
        assert "SUCCESS" in promtool(
            "check", "config", "--syntax-only", "prometheus.yml", cwd=prometheus
        )
    assert "SUCCESS: 4 rules found" in promtool(
        "check", "rules", "alerts.yml", cwd=prometheus
    )


def test_every_alert_fires_and_stays_quiet_when_it_should(
    cookies: Any, tmp_path: Path
) -> None:
    prometheus = bake(cookies, "none") / "compose" / "prometheus"
    shutil.copy(prometheus / "alerts.yml", tmp_path)
    shutil.copy(RULE_TESTS, tmp_path)
    rules = yaml.safe_load((tmp_path / "alerts.yml").read_text())
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]

    promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)

    shipped = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    fired = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    quiet = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if not case["exp_alerts"]
    }
    assert (
        shipped
        == fired
        == quiet
        == {
            "FastStreamHighErrorRatio",
            "FastStreamSlowProcessing",
            "FastStreamStalledConsumer",
            "FastStreamReplicaDown",
        }
    )


def prometheus_scrapes_every_replica(project: Path) -> None:
    config = yaml.safe_load(
        (project / "compose" / "prometheus" / "prometheus.yml").read_text()
    )
    (job,) = config["scrape_configs"]
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["app"]  # the compose service: one A record a replica
    assert discovery["type"] == "A"
    assert discovery["port"] == 8000  # HTTP_PORT's default, the image's too


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        panel
        for top in dashboard["panels"]
        for panel in [top, *top.get("panels", [])]
        if panel["type"] != "row"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_dashboard_asks_provisioned_data_sources(
    cookies: Any, backend: str
) -> None:
    project = bake(cookies, backend)
    grafana = project / "compose" / "grafana"
    # grafana/otel-lgtm's Grafana is provisioned from files of its own.
    lgtm = BACKEND_TABLE[backend]["brings_grafana"]
    provisioning = project / "compose" / ("lgtm" if lgtm else "grafana")
    provisioned = yaml.safe_load((provisioning / "datasources.yaml").read_text())
    uids = {source["uid"]: source["type"] for source in provisioned["datasources"]}
    dashboard = json.loads((grafana / "faststream.json").read_text())
    provider = yaml.safe_load((provisioning / "dashboards.yaml").read_text())

    if not lgtm:
        prometheus_scrapes_every_replica(project)
    assert uids["prometheus"] == "prometheus"
    if lgtm:
        assert set(uids) == {"prometheus", "tempo", "loki", "pyroscope"}
    else:
        # The trace backend's own data source, where an exemplar's trace opens.
        traces = {"none": set()}.get(backend, {backend})
        assert set(uids) == {"prometheus"} | traces
    assert {p["options"]["path"] for p in provider["providers"]} == {
        "/otel-lgtm/grafana/conf/provisioning/dashboards/faststream"
        if lgtm
        else "/var/lib/grafana/dashboards"
    }
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    for variable in dashboard["templating"]["list"]:
        assert uids[variable["datasource"]["uid"]] == variable["datasource"]["type"]
    for panel in panels(dashboard):
        assert panel["targets"], f"{panel['title']} has no query"
        for target in [panel, *panel["targets"]]:
            source = target["datasource"]
            assert uids[source["uid"]] == source["type"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            used = {
                word.split("$", 1)[1]
                for word in target["expr"].replace('"', " ").split()
                if "$" in word
            }
            assert {name.strip("{}[]()") for name in used} <= variables | {
                "__rate_interval"
            }


def test_panels_cover_what_an_operator_asks(cookies: Any) -> None:
    dashboard = json.loads(
        (bake(cookies, "none") / "compose" / "grafana" / "faststream.json").read_text()
    )
    expressions = " ".join(
        target["expr"] for panel in panels(dashboard) for target in panel["targets"]
    )

    for wanted in [
        "rate(messaging_process_duration_seconds_count",  # consumed / s
        "rate(messaging_publish_duration_seconds_count",  # published / s
        'error_type!=""',  # errors / s
        "histogram_quantile(0.99, sum by (le, messaging_destination_publish_name)",
        "histogram_quantile(0.99, sum by (le, messaging_destination_name)",
        "rate(messaging_process_duration_seconds_sum",  # in flight, on average
        'up{job="app"}',  # replicas
    ]:
        assert wanted in expressions, wanted

{%- set backend = cookiecutter._backends[cookiecutter.backend] -%}
"""Grafana's provisioning (compose/grafana/), cross-checked: every data source has a
fixed uid of its own, and every uid that a link between data sources or the
dashboard names is provisioned, so no click in Grafana leads nowhere."""

import json
from pathlib import Path
from typing import Any

import yaml

GRAFANA = Path(__file__).parents[1] / "compose" / "grafana"


def provisioned() -> list[dict[str, Any]]:
    text = (GRAFANA / "datasources.yaml").read_text()
    sources: list[dict[str, Any]] = yaml.safe_load(text)["datasources"]
    return sources


def named_uids(node: Any) -> list[str]:
    """Every `datasourceUid`, and the uid of every `datasource` object, in `node`."""
    if isinstance(node, list):
        return [uid for item in node for uid in named_uids(item)]
    if not isinstance(node, dict):
        return []
    found = []
    for key, value in node.items():
        if key == "datasourceUid":
            found.append(value)
        elif key == "datasource" and isinstance(value, dict):
            found.append(value["uid"])
        else:
            found += named_uids(value)
    return found


def test_every_data_source_has_a_fixed_uid_of_its_own() -> None:
    uids = [source.get("uid") for source in provisioned()]

    assert all(uids), uids
    assert len(set(uids)) == len(uids), uids


def test_every_uid_the_dashboard_and_the_links_name_is_provisioned() -> None:
    uids = {source["uid"] for source in provisioned()}
    dashboard = json.loads((GRAFANA / "faststream.json").read_text())

    named = named_uids(dashboard)
    assert named  # every panel and variable names its data source
    assert set(named + named_uids(provisioned())) <= uids
{%- if backend.grafana_datasource %}


def test_an_exemplar_opens_its_trace_in_{{ cookiecutter.backend }}() -> None:
    """Prometheus keeps an exemplar's trace id under `trace_id` (OTLP's exemplars,
    Tempo's too): Grafana turns it into a link to the trace data source."""
    by_type = {source["type"]: source for source in provisioned()}
    prometheus = by_type["prometheus"]
    trace_source = by_type["{{ backend.grafana_datasource.type }}"]

    (destination,) = prometheus["jsonData"]["exemplarTraceIdDestinations"]
    assert destination == {"name": "trace_id", "datasourceUid": trace_source["uid"]}
{%- endif %}
{%- if cookiecutter.backend == "tempo" %}


def test_tempo_shows_the_service_map_from_prometheus() -> None:
    by_type = {source["type"]: source for source in provisioned()}

    service_map = by_type["tempo"]["jsonData"]["serviceMap"]
    assert service_map["datasourceUid"] == by_type["prometheus"]["uid"]
{%- endif %}
